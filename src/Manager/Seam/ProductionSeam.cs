using System.Runtime.CompilerServices;
using ManagerVerified.Diagnostics;

namespace ManagerVerified.Seam;

/// <summary>
/// The production seam: plain <see cref="Interlocked"/> and <see cref="Volatile"/> operations, plain
/// accesses, a <see cref="SpinWait"/> for waiting, and hooks that compile to nothing.
/// </summary>
/// <remarks>An empty readonly struct: as a type argument it costs nothing at run time (see <see cref="IConcurrencySeam"/>).</remarks>
internal readonly struct ProductionSeam : IConcurrencySeam
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Load(ref long location) => Volatile.Read(ref location);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Load(ref int location) => Volatile.Read(ref location);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(ref long location, long value) => Volatile.Write(ref location, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(ref int location, int value) => Volatile.Write(ref location, value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long CompareExchange(ref long location, long value, long comparand) =>
        Interlocked.CompareExchange(ref location, value, comparand);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Add(ref long location, long delta) => Interlocked.Add(ref location, delta);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Add(ref int location, int delta) => Interlocked.Add(ref location, delta);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WritePlain<T>(ref T location, T value) => location = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T CopyOptimistic<T>(ref T source) => source;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ReadBarrier() => Volatile.ReadBarrier();

    // The thread's own small number (ThreadIndex: the lowest free while it lives), so up to N threads that store
    // start at N different shards. The processor number (ArrayPool's choice) measured erratic on 16 cores: the
    // runtime caches it per thread, so two threads could share a shard for millions of stores (docs/performance.md).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ShardHint() => ThreadIndex.Current;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public bool WaitWhileUnchanged(long[] words, int index, long observed, in WaitLimit limit)
    {
        SpinWait spinner = default;
        while (Volatile.Read(ref words[index]) == observed)
        {
            limit.Cancellation.ThrowIfCancellationRequested();
            if (limit.Expired)
            {
                return false;
            }

            spinner.SpinOnce();
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void OnSlotTaken(int index, int installedTop, ref int link)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void OnSlotReturning(int index)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void OnAvailableChanged(int shard, int value)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void OnReadEntered(int index)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void OnReadExiting(int index)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void OnWriteEntered(int index)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void OnWriteExiting(int index)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void OnOptimisticCopyAccepted(int index)
    {
    }

    // Metrics only on the slow paths (a retry or a wait already cost far more), and only a count:
    // no listener code runs here, inside Free's window between its count and its push (ManagerMetrics).
    public void BackOff(int attempt)
    {
        ManagerMetrics.HeadCasRetried();

        // Exponential backoff, capped: the loser of a head CAS lets the winner's next operation through.
        Thread.SpinWait(Math.Min(HeadBackOffBase << Math.Min(attempt, 5), HeadBackOffCap));
    }

    // No metric: a reader's retry on a hot slot is the common case under contention, not a fault.
    public void SlotBackOff(int attempt) => Thread.SpinWait(Math.Min(1 << Math.Min(attempt, 10), SlotBackOffCap));

    // Spin counts are .NET's normalized spins (about 35 ns each on current hardware).
    private const int HeadBackOffBase = 4;
    private const int HeadBackOffCap = 128;
    internal const int DefaultSlotBackOffCap = 32;

    /// <summary>The most spins a reader backs off after a failed slot-word CAS. Read on the slow path only; set by
    /// the scaling suite (<c>--slot-backoff</c>) to compare caps in one run, never by the library.</summary>
    internal static int SlotBackOffCap = DefaultSlotBackOffCap;

    public void OnSlotWait()
    {
        ManagerMetrics.SlotWaited();
    }
}
