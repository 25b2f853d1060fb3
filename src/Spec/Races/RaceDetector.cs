// =================================================================================================
// A happens-before race detector for plain accesses (vector clocks, after FastTrack).
//   Every task t has a vector clock C_t; every atomic location L the clock S_L of its last release.
//   Acquire load of L:   C_t := C_t join S_L.          Release store to L:  S_L := C_t; C_t[t]++.
//   Read-modify-write:   C_t := C_t join S_L; S_L := C_t; C_t[t]++ (a full fence).
//   Failed CAS:          an acquire load (it wrote nothing).
//   A plain write to P races with P's last write (u, c) when c > C_t[u], and with any read (u, c) of
//   P since then; a plain read races with the last write the same way. A racy pair is reported even
//   when the explored schedule corrupted nothing.
//   The optimistic copy is the one intended race: its read is checked against P's last write but not
//   recorded; it must be Accepted after a read barrier, by re-check loads that follow the barrier, and
//   only an accepted copy may be handed to a caller (UsesOptimisticCopy). docs/invariants.md (I9).
// =================================================================================================
using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Spec.Races;

/// <summary>
/// Reports plain accesses that are not ordered by happens-before (see the file header). Not
/// thread-safe: it runs where one task runs at a time (Coyote, the exhaustive checker, hand-written programs).
/// </summary>
public sealed class RaceDetector
{
    /// <summary>Tasks a detector tells apart: a set-up task and up to 16 scenario tasks, with room to spare.</summary>
    public const int MaxTasks = 24;

    private readonly ViolationSink _sink;
    private readonly List<int[]> _clocks = [];
    private readonly List<string?> _operations = [];
    private readonly List<Pending?> _optimistic = [];
    private readonly List<Location?> _accepted = [];
    private readonly Dictionary<Location, int[]> _released = [];
    private readonly Dictionary<Location, PlainHistory> _plain = [];

    /// <summary>Creates a detector that reports to <paramref name="sink"/>.</summary>
    public RaceDetector(ViolationSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _sink = sink;
    }

    /// <summary>Names what <paramref name="task"/> is doing (for example "Free #1@g2"), for reports.</summary>
    public void SetOperation(int task, string? operation)
    {
        Ensure(task);
        _operations[task] = operation;
    }

    /// <summary><paramref name="child"/> starts: everything <paramref name="parent"/> did so far happens before it.</summary>
    public void Fork(int parent, int child)
    {
        Join(Clock(child), Clock(parent));
        Clock(parent)[parent]++;
    }

    /// <summary><paramref name="parent"/> waited for <paramref name="child"/>: everything the child did happens before what the parent does next.</summary>
    public void Join(int parent, int child)
    {
        Join(Clock(parent), Clock(child));
        Clock(child)[child]++;
    }

    /// <summary>Records one access by <paramref name="task"/>.</summary>
    public void Access(int task, AccessKind kind, Location location)
    {
        int[] clock = Clock(task);
        switch (kind)
        {
            case AccessKind.AcquireLoad:
            case AccessKind.FailedCompareExchange:
                if (_optimistic[task] is { BarrierSeen: false } pending)
                {
                    pending.UnorderedLoad ??= location; // this re-check load may complete before the copy
                }

                Acquire(clock, location);
                break;
            case AccessKind.ReleaseStore:
                Release(clock, location);
                clock[task]++;
                break;
            case AccessKind.ReadModifyWrite:
                Acquire(clock, location);
                Release(clock, location);
                clock[task]++;
                break;
            case AccessKind.PlainRead:
                PlainRead(task, clock, location);
                break;
            case AccessKind.PlainWrite:
                PlainWrite(task, clock, location);
                break;
            case AccessKind.OptimisticRead:
                _optimistic[task] = new Pending(location, RacingWrite(task, clock, location));
                _accepted[task] = null;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>A read barrier by <paramref name="task"/>: its later loads are ordered after its optimistic copy.</summary>
    public void ReadBarrier(int task)
    {
        Ensure(task);
        if (_optimistic[task] is Pending pending)
        {
            pending.BarrierSeen = true;
        }
    }

    /// <summary><paramref name="task"/> validated its optimistic copy of <paramref name="location"/> and uses its value.</summary>
    public void Accepted(int task, Location location)
    {
        Ensure(task);
        Pending? pending = _optimistic[task];
        _optimistic[task] = null;
        _accepted[task] = location;
        if (pending is null || pending.Location != location)
        {
            Fail($"{Describe(task)} accepted an optimistic copy of {location} it never made");
            return;
        }

        if (pending.RacedWith is string write)
        {
            Fail($"{Describe(task)} accepted an optimistic copy of {location} that raced with {write}: its re-check did not see the write");
        }
        else if (!pending.BarrierSeen || pending.UnorderedLoad is not null)
        {
            Fail($"{Describe(task)} accepted an optimistic copy of {location} whose re-check load of {pending.UnorderedLoad?.ToString() ?? "(none)"} is not ordered after the copy (no read barrier between them)");
        }
    }

    /// <summary><paramref name="task"/> hands the value of its last optimistic copy of <paramref name="location"/>
    /// to its caller: that copy must have been validated (<see cref="Accepted"/>) since it was made.</summary>
    public void UsesOptimisticCopy(int task, Location location)
    {
        Ensure(task);
        if (_accepted[task] != location)
        {
            Fail($"{Describe(task)} uses an optimistic copy of {location} that no re-check accepted");
        }

        _accepted[task] = null; // one acceptance, one use: the next copy handed out needs its own
    }

    private void Release(int[] clock, Location location)
    {
        if (!_released.TryGetValue(location, out int[]? released))
        {
            released = new int[MaxTasks];
            _released[location] = released;
        }

        clock.CopyTo(released, 0);
    }

    private void Acquire(int[] clock, Location location)
    {
        if (_released.TryGetValue(location, out int[]? released))
        {
            Join(clock, released);
        }
    }

    private string? RacingWrite(int task, int[] clock, Location location) =>
        _plain.TryGetValue(location, out PlainHistory? history) && history.Write is Epoch w && w.Task != task && w.Clock > clock[w.Task]
            ? w.What
            : null;

    private void PlainRead(int task, int[] clock, Location location)
    {
        string what = $"{Describe(task)} plain read of {location}";
        if (RacingWrite(task, clock, location) is string write)
        {
            Fail($"{what} is not ordered by happens-before with {write}");
        }

        PlainHistory history = History(location);
        history.Reads[task] = new Epoch(task, clock[task], what);
    }

    private void PlainWrite(int task, int[] clock, Location location)
    {
        string what = $"{Describe(task)} plain write of {location}";
        if (RacingWrite(task, clock, location) is string write)
        {
            Fail($"{what} is not ordered by happens-before with {write}");
        }

        PlainHistory history = History(location);
        foreach (Epoch read in history.Reads.Values)
        {
            if (read.Task != task && read.Clock > clock[read.Task])
            {
                Fail($"{what} is not ordered by happens-before with {read.What}");
            }
        }

        history.Reads.Clear();
        history.Write = new Epoch(task, clock[task], what);
    }

    private PlainHistory History(Location location)
    {
        if (!_plain.TryGetValue(location, out PlainHistory? history))
        {
            history = new PlainHistory();
            _plain[location] = history;
        }

        return history;
    }

    private string Describe(int task) => _operations[task] is string op ? $"task {task} ({op})" : $"task {task}";

    private void Fail(string details) => _sink.Report(SpecProperty.DataRace, details);

    private int[] Clock(int task)
    {
        Ensure(task);
        return _clocks[task];
    }

    private void Ensure(int task)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(task);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(task, MaxTasks);
        while (_clocks.Count <= task)
        {
            _clocks.Add(new int[MaxTasks]);
            _operations.Add(null);
            _optimistic.Add(null);
            _accepted.Add(null);
            _clocks[^1][_clocks.Count - 1] = 1;
        }
    }

    private static void Join(int[] into, int[] from)
    {
        for (int i = 0; i < into.Length; i++)
        {
            into[i] = Math.Max(into[i], from[i]);
        }
    }

    private readonly record struct Epoch(int Task, int Clock, string What);

    private sealed class PlainHistory
    {
        public Epoch? Write { get; set; }

        public Dictionary<int, Epoch> Reads { get; } = [];
    }

    private sealed class Pending(Location location, string? racedWith)
    {
        public Location Location { get; } = location;

        public string? RacedWith { get; } = racedWith;

        public bool BarrierSeen { get; set; }

        public Location? UnorderedLoad { get; set; }
    }
}
