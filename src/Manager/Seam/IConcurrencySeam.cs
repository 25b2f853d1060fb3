namespace ManagerVerified.Seam;

/// <summary>
/// The one seam through which the manager's core touches shared memory, waits, and reports what it
/// did. It carries primitives only: every decision of the algorithm (admission masks, the generation
/// step, re-checks, bounds) is made by the core, so the checked core is exactly the shipped core.
/// </summary>
/// <remarks>
/// <para>
/// The core is generic over a <c>struct</c> implementing this interface
/// (<c>where TSeam : struct, IConcurrencySeam</c>), the pattern of dotnet/runtime's
/// <c>SpanHelpers</c> <c>INegator</c>: the JIT compiles one copy of the core per seam type, so
/// <see cref="ProductionSeam"/>'s members inline to the bare <see cref="Interlocked"/> and
/// <see cref="Volatile"/> calls, plain accesses and its hooks to nothing.
/// </para>
/// <para>
/// The checked implementation (in ManagerVerified.Spec) puts a scheduling point before every shared
/// access, feeds every access with its .NET memory-model ordering to a happens-before race detector,
/// pauses waiters instead of spinning, and feeds the hooks to the specification monitors. Bugs are
/// planted as source mutants of the core (tests/Mutants), never through the seam.
/// </para>
/// </remarks>
internal interface IConcurrencySeam : IAtomics, IWaiting, IObservation
{
}

/// <summary>
/// Atomic and plain memory primitives with their orderings: loads are acquires, stores releases,
/// compare-exchange and add full fences (.NET's <see cref="Interlocked"/>); plain accesses carry no
/// ordering at all.
/// </summary>
internal interface IAtomics
{
    /// <summary>Acquire load of a 64-bit word.</summary>
    long Load(ref long location);

    /// <summary>Acquire load of a 32-bit word.</summary>
    int Load(ref int location);

    /// <summary>Release store of a 64-bit word.</summary>
    void Store(ref long location, long value);

    /// <summary>Release store of a 32-bit word.</summary>
    void Store(ref int location, int value);

    /// <summary>Compare-exchange (full fence); returns the value seen.</summary>
    long CompareExchange(ref long location, long value, long comparand);

    /// <summary>Atomic add (full fence); returns the new value.</summary>
    long Add(ref long location, long delta);

    /// <summary>Atomic add (full fence); returns the new value.</summary>
    int Add(ref int location, int delta);

    /// <summary>A plain (non-atomic, unordered) write of message storage that the caller owns.</summary>
    void WritePlain<T>(ref T location, T value);

    /// <summary>An optimistic (racy) copy of shared data: its value may be torn and may only be used
    /// after a re-check that is ordered after it by <see cref="ReadBarrier"/>.</summary>
    T CopyOptimistic<T>(ref T source);

    /// <summary>A read barrier: loads before it complete before loads after it
    /// (<see cref="Volatile.ReadBarrier"/>; free on x64).</summary>
    void ReadBarrier();

    /// <summary>Which free-list shard the calling thread's stores start from (any value: the free-list masks it).
    /// Production answers the processor the thread runs on (<see cref="Thread.GetCurrentProcessorId"/>), so
    /// threads on different cores pop from different shards; a model checker chooses, so every shard choice is
    /// explored. Any value is correct: it only decides where a pop starts.</summary>
    int ShardHint();
}

/// <summary>Waiting and backing off.</summary>
internal interface IWaiting
{
    /// <summary>Blocks until <c>words[index]</c> no longer equals <paramref name="observed"/> (true), or
    /// until <paramref name="limit"/> gives up (false: its deadline passed); a cancelled limit throws
    /// <see cref="OperationCanceledException"/>. Production spins with <see cref="SpinWait"/>; a model
    /// checker pauses the operation until another one changes the word, so a leaked lock is reported as
    /// a deadlock, not a hang, and lets a limit that can give up do so at any point.</summary>
    bool WaitWhileUnchanged(long[] words, int index, long observed, in WaitLimit limit);

    /// <summary>A head CAS failed and its pop or push retries for the <paramref name="attempt"/>th time
    /// (slow path only). Production backs off, so two threads stop colliding on the head; a model
    /// checker needs no backoff.</summary>
    void BackOff(int attempt);

    /// <summary>A slot word's CAS (a reader entering or leaving) failed for the <paramref name="attempt"/>th
    /// time (slow path only): production spins briefly so readers of one hot slot stop colliding; a model
    /// checker needs no backoff.</summary>
    void SlotBackOff(int attempt);
}

/// <summary>What the core reports having done; empty in production, the monitors' feed when checked.</summary>
internal interface IObservation
{
    /// <summary>After the successful head CAS that popped <paramref name="index"/> and installed
    /// <paramref name="installedTop"/> (slot + 1, or 0). <paramref name="link"/> is the popped slot's link,
    /// which the popping thread now owns.</summary>
    void OnSlotTaken(int index, int installedTop, ref int link);

    /// <summary>Before <paramref name="index"/> is pushed back on the free-list (its message already cleared).</summary>
    void OnSlotReturning(int index);

    /// <summary>After free-list shard <paramref name="shard"/>'s available count changed to <paramref name="value"/>.</summary>
    void OnAvailableChanged(int shard, int value);

    /// <summary>After a read or header guard was taken on <paramref name="index"/>.</summary>
    void OnReadEntered(int index);

    /// <summary>Before a read or header guard on <paramref name="index"/> is released.</summary>
    void OnReadExiting(int index);

    /// <summary>After exclusive access (a write guard or a free) was taken on <paramref name="index"/>.</summary>
    void OnWriteEntered(int index);

    /// <summary>Before exclusive access on <paramref name="index"/> is released.</summary>
    void OnWriteExiting(int index);

    /// <summary>An optimistic copy of <paramref name="index"/>'s header passed its re-check and is returned.</summary>
    void OnOptimisticCopyAccepted(int index);

    /// <summary>A blocking borrow or free is about to wait for a slot (slow path only).</summary>
    void OnSlotWait();
}
