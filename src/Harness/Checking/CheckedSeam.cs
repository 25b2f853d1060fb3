using ManagerVerified.Seam;
using ManagerVerified.Spec.Races;

namespace ManagerVerified.Harness.Checking;

/// <summary>
/// The checked implementation of the manager's concurrency seam: a scheduling point
/// (<see cref="IScheduler.Point"/>) before every shared access, then the real access, reported with
/// its location and ordering to the race detector; waiting through <see cref="IScheduler.WaitUntil"/>
/// (Coyote's <c>Operation.PauseUntil</c>); every hook fed to the context's monitors. It decides
/// nothing: the algorithm is the core's, exactly as it ships.
/// </summary>
/// <remarks>
/// This assembly is rewritten for Coyote, so the race-checking scheduling points Coyote would add at
/// <see cref="Interlocked"/> and <see cref="Volatile"/> calls are turned off in the exploration
/// configuration (<c>Explorer</c>): the points below are the only ones, one per shared access.
/// </remarks>
internal readonly struct CheckedSeam : IConcurrencySeam
{
    private readonly VerificationContext _context;

    internal CheckedSeam(VerificationContext context) => _context = context;

    public long Load(ref long location)
    {
        _context.Scheduler.Point();
        long value = Volatile.Read(ref location);
        _context.Logged(AccessKind.AcquireLoad, ref location, value); // logged first: a race report marks this step
        _context.Access(AccessKind.AcquireLoad, ref location);
        return value;
    }

    public int Load(ref int location)
    {
        _context.Scheduler.Point();
        int value = Volatile.Read(ref location);
        _context.Logged(AccessKind.AcquireLoad, ref location, value);
        _context.Access(AccessKind.AcquireLoad, ref location);
        return value;
    }

    public void Store(ref long location, long value)
    {
        _context.Scheduler.Point();
        _context.Logged(AccessKind.ReleaseStore, ref location, value);
        _context.Access(AccessKind.ReleaseStore, ref location);
        Volatile.Write(ref location, value);
    }

    public void Store(ref int location, int value)
    {
        _context.Scheduler.Point();
        _context.Logged(AccessKind.ReleaseStore, ref location, value);
        _context.Access(AccessKind.ReleaseStore, ref location);
        Volatile.Write(ref location, value);
    }

    public long CompareExchange(ref long location, long value, long comparand)
    {
        _context.Scheduler.Point();
        long seen = Interlocked.CompareExchange(ref location, value, comparand);
        AccessKind kind = seen == comparand ? AccessKind.ReadModifyWrite : AccessKind.FailedCompareExchange;
        _context.Logged(kind, ref location, seen == comparand ? value : seen);
        _context.Access(kind, ref location);
        return seen;
    }

    public long Add(ref long location, long delta)
    {
        _context.Scheduler.Point();
        long result = Interlocked.Add(ref location, delta);
        _context.Logged(AccessKind.ReadModifyWrite, ref location, result);
        _context.Access(AccessKind.ReadModifyWrite, ref location);
        return result;
    }

    public int Add(ref int location, int delta)
    {
        _context.Scheduler.Point();
        int result = Interlocked.Add(ref location, delta);
        _context.Logged(AccessKind.ReadModifyWrite, ref location, result);
        _context.Access(AccessKind.ReadModifyWrite, ref location);
        return result;
    }

    public void WritePlain<T>(ref T location, T value)
    {
        _context.Scheduler.Point();
        _context.LoggedMessage(AccessKind.PlainWrite, ref location);
        _context.AccessMessage(AccessKind.PlainWrite, ref location);
        location = value;
    }

    public T CopyOptimistic<T>(ref T source)
    {
        _context.Scheduler.Point();
        _context.LoggedMessage(AccessKind.OptimisticRead, ref source);
        _context.AccessMessage(AccessKind.OptimisticRead, ref source);
        return source;
    }

    public void ReadBarrier() => _context.ReadBarrier();

    public int ShardHint() => _context.Scheduler.Choose(_context.Shards);

    public bool WaitWhileUnchanged(long[] words, int index, long observed, in WaitLimit limit)
    {
        _context.LoggedWait(ref words[index], observed);
        _context.WaitingOn(ref words[index]);

        // Plain read inside the condition: a rewritten Volatile.Read would re-enter the scheduler.
        if (!limit.CanGiveUp)
        {
            return _context.Scheduler.WaitUntil(() => words[index] != observed, giveUp: null);
        }

        WaitLimit copy = limit;
        return _context.Scheduler.WaitUntil(() => words[index] != observed, () =>
        {
            copy.Cancellation.ThrowIfCancellationRequested();
            return copy.Expired;
        });
    }

    public void BackOff(int attempt)
    {
    }

    public void SlotBackOff(int attempt)
    {
    }

    public void OnSlotTaken(int index, int installedTop, ref int link) => _context.SlotTaken(index, installedTop, Volatile.Read(ref link));

    public void OnSlotReturning(int index) => _context.SlotReturning(index);

    public void OnAvailableChanged(int shard, int value) => _context.AvailableChanged(shard, value);

    public void OnReadEntered(int index) => _context.ReadEntered(index);

    public void OnReadExiting(int index) => _context.ReadExiting(index);

    public void OnWriteEntered(int index) => _context.WriteEntered(index);

    public void OnWriteExiting(int index) => _context.WriteExiting(index);

    public void OnOptimisticCopyAccepted(int index) => _context.OptimisticCopyAccepted(index);

    public void OnSlotWait()
    {
    }
}
