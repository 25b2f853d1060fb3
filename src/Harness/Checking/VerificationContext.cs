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

    /// <summary>Creates the context of one run over a manager of <paramref name="capacity"/> slots that issue
    /// <paramref name="firstGeneration"/> first (0: the production first generation).</summary>
    public VerificationContext(IScheduler scheduler, ViolationSink sink, int capacity, PlantedBug bug = PlantedBug.None, MonitorSet monitors = MonitorSet.All, UInt128 firstGeneration = default)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(sink);
        Scheduler = scheduler;
        _tracks = scheduler.TracksAccesses;
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
            StaleTokens = new StaleTokenMonitor(sink, capacity, firstGeneration);
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

    /// <summary>The scheduler wants every access (the model checker): it decides which steps commute from them.</summary>
    private readonly bool _tracks;

    /// <summary>The happens-before race detector, when installed.</summary>
    public RaceDetector? Races { get; }

    /// <summary>The task running now: 0 for the scenario's set-up, 1..n for its tasks.</summary>
    public int CurrentTask => _task.Value;

    /// <summary>Names the locations of the checked manager's accesses. Set by the factory.</summary>
    internal LocationMap? Locations { get; set; }

    /// <summary>The checked manager's free-list shard count: the range of the seam's processor hint.</summary>
    internal int Shards { get; set; } = 1;

    /// <summary>Records every access with its value, for report.html; null while exploring.</summary>
    public StepLog? Steps { get; set; }

    /// <summary>Runs on a new task <paramref name="task"/>: everything the set-up did happens before it.</summary>
    public void EnterTask(int task)
    {
        Races?.Fork(0, task);
        _task.Value = task;
    }

    /// <summary>The set-up waited for <paramref name="task"/>.</summary>
    public void JoinTask(int task) => Races?.Join(0, task);

    /// <summary>Names the operation the current task performs, for race reports.</summary>
    public void BeginOperation(string operation)
    {
        Scheduler.OperationStarted();
        Races?.SetOperation(CurrentTask, operation);
        Steps?.SetOperation(CurrentTask, operation);
    }

    internal void Logged(AccessKind kind, ref long location, long value)
    {
        if (Steps is not null && Locations is not null)
        {
            Steps.Add(CurrentTask, kind, Locations.Of(ref location), value);
        }
    }

    internal void Logged(AccessKind kind, ref int location, long value)
    {
        if (Steps is not null && Locations is not null)
        {
            Steps.Add(CurrentTask, kind, Locations.Of(ref location), value);
        }
    }

    internal void LoggedWait(ref long location, long observed)
    {
        if (Steps is not null && Locations is not null)
        {
            Steps.Add(CurrentTask, AccessKind.AcquireLoad, Locations.Of(ref location), observed, waits: true);
        }
    }

    internal void LoggedMessage<T>(AccessKind kind, ref T location)
    {
        if (Steps is not null && Locations is not null)
        {
            Steps.Add(CurrentTask, kind, Locations.OfMessage(ref location), 0);
        }
    }

    /// <summary>A plain access of slot <paramref name="index"/>'s message by the manager's user (through a guard).</summary>
    public void UserAccess(AccessKind kind, int index)
    {
        Steps?.Add(CurrentTask, kind, new Location(LocationKind.Message, index), 0); // logged first: a race report marks this step
        Accessed(kind, new Location(LocationKind.Message, index));
    }

    /// <summary>An atomic access of a variable the scenario's tasks share (a token handed over, a barrier's
    /// count): the model checker must know of it to order it, and the race detector to see the happens-before it
    /// makes (a release store read by an acquire load orders what came before the store). Numbers are the scenario's own.</summary>
    public void SharedAccess(AccessKind kind, int variable)
    {
        var location = new Location(LocationKind.Variable, variable);
        Races?.Access(CurrentTask, kind, location);
        if (_tracks)
        {
            Scheduler.Accessed(location, kind);
        }
    }

    /// <summary>The next <see cref="IScheduler.WaitUntil"/> of this task waits on the scenario's shared <paramref name="variable"/>.</summary>
    public void WaitingOnShared(int variable) => Scheduler.WaitingOn(new Location(LocationKind.Variable, variable));

    internal void Access(AccessKind kind, ref long location)
    {
        if ((Races is not null || _tracks) && Locations is not null)
        {
            Accessed(kind, Locations.Of(ref location));
        }
    }

    internal void Access(AccessKind kind, ref int location)
    {
        if ((Races is not null || _tracks) && Locations is not null)
        {
            Accessed(kind, Locations.Of(ref location));
        }
    }

    internal void AccessMessage<T>(AccessKind kind, ref T location)
    {
        if ((Races is not null || _tracks) && Locations is not null)
        {
            Accessed(kind, Locations.OfMessage(ref location));
        }
    }

    internal void WaitingOn(ref long location)
    {
        if (_tracks && Locations is not null)
        {
            Scheduler.WaitingOn(Locations.Of(ref location));
        }
    }

    private void Accessed(AccessKind kind, Location location)
    {
        Races?.Access(CurrentTask, kind, location);
        if (_tracks)
        {
            Scheduler.Accessed(location, kind);
        }
    }

    /// <summary>What monitors and the driver keep about slot <paramref name="index"/> (-1: about the whole
    /// free-list) changes or is read: for the model checker a write or read of that state, so no step that
    /// feeds a monitor is reordered with another that feeds the same state.</summary>
    internal void MonitorState(int index, bool writes) => Ghost(LocationKind.Monitor, index, writes);

    /// <summary>The driver's record of <paramref name="task"/>'s store in flight is read or written (for the model checker).</summary>
    internal void StoreInFlight(int task, bool writes) => Ghost(LocationKind.StoreInFlight, task, writes);

    private void Ghost(LocationKind kind, int index, bool writes)
    {
        if (_tracks)
        {
            Scheduler.Accessed(new Location(kind, index), writes ? AccessKind.ReadModifyWrite : AccessKind.AcquireLoad);
        }
    }

    /// <summary>The number of tasks of the running scenario (set when they start).</summary>
    internal int TaskCount { get; set; }

    /// <summary>The current task's call was invoked (<paramref name="response"/> false) or returned: for the
    /// model checker, a response writes the task's history and an invocation (at a scheduling point of its
    /// own) reads every other task's, so no execution counted as equivalent has another real-time order of
    /// calls, and every order of a response and a later call of another task is explored.</summary>
    internal void HistoryEvent(bool response)
    {
        int task = CurrentTask;
        if (!_tracks || task == 0)
        {
            return;
        }

        if (response)
        {
            Scheduler.Accessed(new Location(LocationKind.History, task), AccessKind.ReleaseStore);
            return;
        }

        // An invocation starts a step of its own: other tasks may run (and return) between the task's
        // previous response and this call, which makes the real-time order stricter.
        Scheduler.Point();

        for (int other = 1; other <= TaskCount; other++)
        {
            if (other != task)
            {
                Scheduler.Accessed(new Location(LocationKind.History, other), AccessKind.AcquireLoad);
            }
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

    // The free-list hooks feed monitors that model the whole list (its order, the counts' sum): one state.
    internal void SlotTaken(int index, int installedTop, int link) =>
        Notify(-1, (index, installedTop, link), static (m, a) => m.OnSlotTaken(a.index, a.installedTop, a.link));

    internal void SlotReturning(int index) => Notify(-1, index, static (m, i) => m.OnSlotReturning(i));

    internal void AvailableChanged(int shard, int value) => Notify(-1, (shard, value), static (m, a) => m.OnAvailableChanged(a.shard, a.value));

    internal void ReadEntered(int index) => Notify(index, index, static (m, i) => m.OnReadEntered(i));

    internal void ReadExiting(int index) => Notify(index, index, static (m, i) => m.OnReadExiting(i));

    internal void WriteEntered(int index) => Notify(index, index, static (m, i) => m.OnWriteEntered(i));

    internal void WriteExiting(int index) => Notify(index, index, static (m, i) => m.OnWriteExiting(i));

    /// <summary>Feeds a completed token operation to the monitors.</summary>
    public void TokenOperation(OperationKind operation, MessageToken token, bool freedBeforeStart, MemoryError result) =>
        Notify(token.Index, (operation, token, freedBeforeStart, result), static (m, a) => m.OnTokenOperation(a.operation, a.token, a.freedBeforeStart, a.result));

    /// <summary>Feeds a message observed through a read guard to the monitors.</summary>
    public void MessageObserved(MessageToken token, long expectedOwner, in Message<CheckedPayload> message) =>
        Notify(token.Index, (token, expectedOwner, message), static (m, a) => m.OnMessageObserved(a.token, a.expectedOwner, a.message));

    /// <summary>Feeds a header seen through an optimistic copy to the monitors.</summary>
    public void HeaderObserved(MessageToken token, long expectedOwner, in MessageHeader header) =>
        Notify(token.Index, (token, expectedOwner, header), static (m, a) => m.OnHeaderObserved(a.token, a.expectedOwner, a.header));

    /// <summary>Runs every monitor's quiescent check.</summary>
    internal void CheckQuiescent(QuiescentSnapshot snapshot) => Notify(-1, snapshot, static (m, s) => m.CheckQuiescent(s));

    /// <summary>The manager as built, before any operation: monitors that track counts start from it.</summary>
    internal void ManagerCreated(QuiescentSnapshot snapshot) => Notify(-1, (snapshot, Scheduler.IsSystematic), static (m, a) => m.OnCreated(a.snapshot, a.IsSystematic));

    /// <summary>The one fan-out: every installed monitor gets the event, in installation order. Static
    /// lambdas over a value-tuple argument, so a checked run allocates nothing per event. <paramref name="state"/>
    /// is the monitor state the event touches (a slot, or -1 for the whole free-list).</summary>
    private void Notify<TArgs>(int state, TArgs args, Action<ManagerMonitor, TArgs> hook)
    {
        MonitorState(state, writes: true);
        foreach (ManagerMonitor m in _monitors)
        {
            hook(m, args);
        }
    }
}
