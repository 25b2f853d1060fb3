using ManagerVerified.Core;
using ManagerVerified.Verification;
using ManagerVerified.Spec.Monitors;
using ManagerVerified.Spec.Races;

namespace ManagerVerified.Harness.Checking;

/// <summary>
/// Everything one checked run shares: how it is scheduled, which bug is planted, and the monitors
/// that the checked seam and the scenario driver feed.
/// </summary>
public sealed class VerificationContext
{
    private readonly ManagerMonitor[] _monitors;

    /// <summary>Creates the context of one run over a manager of <paramref name="capacity"/> slots.</summary>
    public VerificationContext(IScheduler scheduler, ViolationSink sink, int capacity, PlantedBug bug = PlantedBug.None, MonitorSet monitors = MonitorSet.All)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(sink);
        Scheduler = scheduler;
        Sink = sink;
        Capacity = capacity;
        Bug = bug;
        Installed = monitors;
        var list = new List<ManagerMonitor>();
        if (monitors.HasFlag(MonitorSet.AbaSafety))
        {
            list.Add(new AbaSafetyMonitor(sink, capacity));
        }

        if (monitors.HasFlag(MonitorSet.NoDoubleAllocation))
        {
            list.Add(new NoDoubleAllocationMonitor(sink, capacity));
        }

        if (monitors.HasFlag(MonitorSet.AvailableCount))
        {
            list.Add(new AvailableCountMonitor(sink, capacity));
        }

        if (monitors.HasFlag(MonitorSet.ReadWriteExclusion))
        {
            list.Add(new ReadWriteExclusionMonitor(sink, capacity));
        }

        if (monitors.HasFlag(MonitorSet.StaleToken))
        {
            StaleTokens = new StaleTokenMonitor(sink, capacity);
            list.Add(StaleTokens);
        }

        _monitors = [.. list];

        // The detector keeps one picture of all tasks' clocks: it needs one task at a time (a systematic run).
        if (monitors.HasFlag(MonitorSet.DataRace) && scheduler.IsSystematic)
        {
            Races = new RaceDetector(sink);
        }
    }

    private readonly AsyncLocal<int> _task = new();

    /// <summary>The happens-before race detector, when installed.</summary>
    public RaceDetector? Races { get; }

    /// <summary>The task running now: 0 for the scenario's set-up, 1..n for its tasks.</summary>
    public int CurrentTask => _task.Value;

    /// <summary>Names the locations of the checked manager's accesses. Set by the factory.</summary>
    internal LocationMap? Locations { get; set; }

    /// <summary>Runs on a new task <paramref name="task"/>: everything the set-up did happens before it.</summary>
    public void EnterTask(int task)
    {
        Races?.Fork(0, task);
        _task.Value = task;
    }

    /// <summary>The set-up waited for <paramref name="task"/>.</summary>
    public void JoinTask(int task) => Races?.Join(0, task);

    /// <summary>Names the operation the current task performs, for race reports.</summary>
    public void BeginOperation(string operation) => Races?.SetOperation(CurrentTask, operation);

    /// <summary>A plain access of slot <paramref name="index"/>'s message by the manager's user (through a guard).</summary>
    public void UserAccess(AccessKind kind, int index) => Races?.Access(CurrentTask, kind, new Location(LocationKind.Message, index));

    internal void Access(AccessKind kind, ref long location)
    {
        if (Races is not null && Locations is not null)
        {
            Races.Access(CurrentTask, kind, Locations.Of(ref location));
        }
    }

    internal void Access(AccessKind kind, ref int location)
    {
        if (Races is not null && Locations is not null)
        {
            Races.Access(CurrentTask, kind, Locations.Of(ref location));
        }
    }

    internal void AccessMessage<T>(AccessKind kind, ref T location)
    {
        if (Races is not null && Locations is not null)
        {
            Races.Access(CurrentTask, kind, Locations.OfMessage(ref location));
        }
    }

    internal void ReadBarrier() => Races?.ReadBarrier(CurrentTask);

    internal void OptimisticCopyAccepted(int index) => Races?.Accepted(CurrentTask, new Location(LocationKind.Message, index));

    /// <summary>The current task's caller got a header copied optimistically from slot <paramref name="index"/>.</summary>
    public void UsesOptimisticCopy(int index) => Races?.UsesOptimisticCopy(CurrentTask, new Location(LocationKind.Message, index));

    /// <summary>How the run interleaves and waits.</summary>
    public IScheduler Scheduler { get; }

    /// <summary>Where violations go.</summary>
    public ViolationSink Sink { get; }

    /// <summary>The capacity of the checked manager.</summary>
    public int Capacity { get; }

    /// <summary>Which monitors (and scenario checks) are installed.</summary>
    public MonitorSet Installed { get; }

    /// <summary>The planted bug, if any.</summary>
    public PlantedBug Bug { get; }

    /// <summary>The installed monitors.</summary>
    public IReadOnlyList<ManagerMonitor> Monitors => _monitors;

    /// <summary>The stale-token monitor, when installed (the driver asks it whether a token was freed).</summary>
    public StaleTokenMonitor? StaleTokens { get; }

    internal void SlotTaken(int index, int installedTop, int[] next)
    {
        foreach (ManagerMonitor m in _monitors)
        {
            m.OnSlotTaken(index, installedTop, next);
        }
    }

    internal void SlotReturning(int index)
    {
        foreach (ManagerMonitor m in _monitors)
        {
            m.OnSlotReturning(index);
        }
    }

    internal void AvailableChanged(int value)
    {
        foreach (ManagerMonitor m in _monitors)
        {
            m.OnAvailableChanged(value);
        }
    }

    internal void ReadEntered(int index)
    {
        foreach (ManagerMonitor m in _monitors)
        {
            m.OnReadEntered(index);
        }
    }

    internal void ReadExiting(int index)
    {
        foreach (ManagerMonitor m in _monitors)
        {
            m.OnReadExiting(index);
        }
    }

    internal void WriteEntered(int index)
    {
        foreach (ManagerMonitor m in _monitors)
        {
            m.OnWriteEntered(index);
        }
    }

    internal void WriteExiting(int index)
    {
        foreach (ManagerMonitor m in _monitors)
        {
            m.OnWriteExiting(index);
        }
    }

    /// <summary>Feeds a completed token operation to the monitors.</summary>
    public void TokenOperation(OperationKind operation, MessageToken token, bool freedBeforeStart, MemoryError result)
    {
        foreach (ManagerMonitor m in _monitors)
        {
            m.OnTokenOperation(operation, token, freedBeforeStart, result);
        }
    }

    /// <summary>Feeds a message observed through a read guard to the monitors.</summary>
    public void MessageObserved(MessageToken token, long expectedOwner, in Message<CheckedPayload> message)
    {
        foreach (ManagerMonitor m in _monitors)
        {
            m.OnMessageObserved(token, expectedOwner, message);
        }
    }

    /// <summary>Feeds a header seen through an optimistic copy to the monitors.</summary>
    public void HeaderObserved(MessageToken token, long expectedOwner, in MessageHeader header)
    {
        foreach (ManagerMonitor m in _monitors)
        {
            m.OnHeaderObserved(token, expectedOwner, header);
        }
    }

    /// <summary>Runs every monitor's quiescent check.</summary>
    internal void CheckQuiescent(QuiescentSnapshot snapshot)
    {
        foreach (ManagerMonitor m in _monitors)
        {
            m.CheckQuiescent(snapshot);
        }
    }
}
