using ManagerVerified.Core;
using ManagerVerified.Seam;

namespace ManagerVerified.Spec.Checking;

/// <summary>
/// The checked implementation of the manager's concurrency seam: a scheduling point
/// (<see cref="IScheduler.Point"/>) before every shared access, waiting through
/// <see cref="IScheduler.WaitUntil"/> (Coyote's <c>Operation.PauseUntil</c>), every hook fed to the
/// context's monitors, and at most one planted bug. Everything else is the real atomic operation.
/// </summary>
/// <remarks>
/// This assembly is rewritten for Coyote, so the race-checking scheduling points Coyote would add at
/// <see cref="Interlocked"/> and <see cref="Volatile"/> calls are turned off in the test configuration
/// (<c>CoyoteRuns.Configure</c>): the points below are the only ones, one per shared access.
/// </remarks>
internal readonly struct CheckedSeam : IConcurrencySeam
{
    private readonly VerificationContext _context;

    internal CheckedSeam(VerificationContext context) => _context = context;

    private IScheduler Scheduler => _context.Scheduler;

    public long Load(ref long location)
    {
        Scheduler.Point();
        return Volatile.Read(ref location);
    }

    public int Load(ref int location)
    {
        Scheduler.Point();
        return Volatile.Read(ref location);
    }

    public void Store(ref long location, long value)
    {
        Scheduler.Point();
        Volatile.Write(ref location, value);
    }

    public void Store(ref int location, int value)
    {
        Scheduler.Point();
        Volatile.Write(ref location, value);
    }

    public long CompareExchange(ref long location, long value, long comparand)
    {
        Scheduler.Point();
        return Interlocked.CompareExchange(ref location, value, comparand);
    }

    public long CompareExchangeHead(ref long head, long value, long comparand)
    {
        Scheduler.Point();
        switch (_context.Bug)
        {
            case PlantedBug.HeadCasComparesIndexOnly:
            {
                // Bug 3: succeeds whenever the index bits match, whatever the tag says.
                long mask = _context.HeadIndexMask;
                long current = Volatile.Read(ref head);
                if ((current & mask) != (comparand & mask))
                {
                    return current;
                }

                return Interlocked.CompareExchange(ref head, value, current) == current ? comparand : Volatile.Read(ref head);
            }

            case PlantedBug.HeadCasNotAtomic:
            {
                // Bug 4: load, scheduling point, store.
                long current = Volatile.Read(ref head);
                if (current == comparand)
                {
                    Scheduler.Point();
                    Volatile.Write(ref head, value);
                }

                return current;
            }

            default:
                return Interlocked.CompareExchange(ref head, value, comparand);
        }
    }

    public long Add(ref long location, long delta)
    {
        Scheduler.Point();
        return Interlocked.Add(ref location, delta);
    }

    public int AddToCount(ref int count, int delta)
    {
        Scheduler.Point();
        if (_context.Bug == PlantedBug.CountUpdateNotAtomic)
        {
            // Bug 5: a lost update when two adds interleave here.
            int current = Volatile.Read(ref count);
            Scheduler.Point();
            Volatile.Write(ref count, current + delta);
            return current + delta;
        }

        return Interlocked.Add(ref count, delta);
    }

    public T CopyOptimistic<T>(ref T source)
    {
        Scheduler.Point();
        return source;
    }

    public void WaitWhileUnchanged(long[] words, int index, long observed)
    {
        // Plain read inside the condition: a rewritten Volatile.Read would re-enter the scheduler.
        Scheduler.WaitUntil(() => words[index] != observed);
    }

    public long ReadBlockMask => _context.Bug == PlantedBug.ReaderIgnoresWriter ? 0 : SlotWord.WriterBit;

    public long WriteBlockMask => _context.Bug == PlantedBug.WriterIgnoresReaders
        ? SlotWord.WriterBit
        : SlotWord.WriterBit | SlotWord.ReaderMask;

    public ulong NextGeneration(ulong generation) =>
        _context.Bug == PlantedBug.GenerationNotAdvanced ? generation : generation + 1;

    public bool RecheckOptimisticCopy => _context.Bug != PlantedBug.HeaderCopySkipsRecheck;

    public void OnSlotTaken(int index, int installedTop, int[] next) => _context.SlotTaken(index, installedTop, next);

    public void OnSlotReturning(int index) => _context.SlotReturning(index);

    public void OnAvailableChanged(int value) => _context.AvailableChanged(value);

    public void OnReadEntered(int index) => _context.ReadEntered(index);

    public void OnReadExiting(int index) => _context.ReadExiting(index);

    public void OnWriteEntered(int index) => _context.WriteEntered(index);

    public void OnWriteExiting(int index) => _context.WriteExiting(index);

    public void OnHeadCasRetry(int attempt)
    {
    }

    public void OnSlotWait()
    {
    }
}
