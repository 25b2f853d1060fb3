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

    // The processor the thread runs on now, as .NET's ArrayPool picks its per-core stack (the runtime caches it per
    // thread for a few calls): threads running at once on different cores pop from different shards, however many
    // threads there are. A per-thread index (the lowest free while the thread lives) measured the same on 16 cores
    // (docs/performance.md) but maps threads beyond the shard count onto shared shards even when they run apart.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ShardHint() => Thread.GetCurrentProcessorId();

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
    public void SlotBackOff(int attempt) => Thread.SpinWait(Math.Min(1 << Math.Min(attempt, 5), SlotBackOffCap));

    // Spin counts are .NET's normalized spins (about 35 ns each on current hardware).
    private const int HeadBackOffBase = 4;
    private const int HeadBackOffCap = 128;
    private const int SlotBackOffCap = 32; // larger caps (128, 512, 2048) measured no better on 16 cores (docs/performance.md)

    public void OnSlotWait()
    {
        ManagerMetrics.SlotWaited();
    }
}
