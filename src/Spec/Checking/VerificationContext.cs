using ManagerVerified.Core;
using ManagerVerified.Spec.Monitors;

namespace ManagerVerified.Spec.Checking;

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
    }

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

    /// <summary>The index bits of the head (for planted bug 3). Set by the factory.</summary>
    internal long HeadIndexMask { get; set; }

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
