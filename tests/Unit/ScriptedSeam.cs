using ManagerVerified.Seam;

namespace ManagerVerified.Tests.Unit;

/// <summary>What a <see cref="ScriptedSeam"/> does when the core waits: a test's script in place of the spin.</summary>
internal sealed class WaitScript
{
    /// <summary>Called for every wait (the slot's state array, the element, the value seen, the limit); returns what the
    /// wait returns (true: the word changed). Null: the production wait.</summary>
    public Func<long[], int, long, WaitLimit, bool>? Wait { get; init; }

    /// <summary>Called when a blocking borrow or free is about to wait (before the wait).</summary>
    public Action? BeforeWait { get; init; }

    /// <summary>Waits so far.</summary>
    public int Waits;
}

/// <summary>The production seam with a scripted wait: single-threaded tests make the word change on every round of a
/// wait (churn) or watch a thread start waiting, deterministically.</summary>
internal readonly struct ScriptedSeam(WaitScript script) : IConcurrencySeam
{

    public long Load(ref long location) => default(ProductionSeam).Load(ref location);

    public int Load(ref int location) => default(ProductionSeam).Load(ref location);

    public void Store(ref long location, long value) => default(ProductionSeam).Store(ref location, value);

    public void Store(ref int location, int value) => default(ProductionSeam).Store(ref location, value);

    public long CompareExchange(ref long location, long value, long comparand) => default(ProductionSeam).CompareExchange(ref location, value, comparand);

    public long Add(ref long location, long delta) => default(ProductionSeam).Add(ref location, delta);

    public int Add(ref int location, int delta) => default(ProductionSeam).Add(ref location, delta);

    public void WritePlain<T>(ref T location, T value) => default(ProductionSeam).WritePlain(ref location, value);

    public T CopyOptimistic<T>(ref T source) => default(ProductionSeam).CopyOptimistic(ref source);

    public void ReadBarrier() => default(ProductionSeam).ReadBarrier();

    public int ShardHint() => 0;

    public bool WaitWhileUnchanged(long[] words, int index, long observed, in WaitLimit limit)
    {
        Interlocked.Increment(ref script.Waits);
        return script.Wait is { } wait ? wait(words, index, observed, limit) : default(ProductionSeam).WaitWhileUnchanged(words, index, observed, limit);
    }

    public void BackOff(int attempt)
    {
    }

    public void SlotBackOff(int attempt)
    {
    }

    public void OnSlotTaken(int index, int installedTop, ref int link)
    {
    }

    public void OnSlotReturning(int index)
    {
    }

    public void OnAvailableChanged(int shard, int value)
    {
    }

    public void OnReadEntered(int index)
    {
    }

    public void OnReadExiting(int index)
    {
    }

    public void OnWriteEntered(int index)
    {
    }

    public void OnWriteExiting(int index)
    {
    }

    public void OnOptimisticCopyAccepted(int index)
    {
    }

    public void OnSlotWait() => script.BeforeWait?.Invoke();
}
