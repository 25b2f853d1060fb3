using ManagerVerified.Spec.Checking;
using ManagerVerified.Core;
using ManagerVerified.Verification;

namespace ManagerVerified.Spec.Monitors;

/// <summary>
/// Available-count consistency: the available count is always within [0, Capacity], and when no
/// operation is in flight it equals the free-list length and Capacity minus the live (and retired) slots.
/// </summary>
public sealed class AvailableCountMonitor : ManagerMonitor
{
    /// <inheritdoc />
    public AvailableCountMonitor(Checking.ViolationSink sink, int capacity)
        : base(sink, capacity)
    {
    }

    /// <inheritdoc />
    public override SpecProperty Property => SpecProperty.AvailableCount;

    /// <inheritdoc />
    public override void OnAvailableChanged(int value)
    {
        if (value < 0 || value > Capacity)
        {
            Fail($"the available count became {value}, outside [0, {Capacity}]");
        }
    }

    /// <inheritdoc />
    internal override void CheckQuiescent(QuiescentSnapshot snapshot)
    {
        int expectedFromSlots = snapshot.Capacity - snapshot.LiveCount - snapshot.RetiredCount;
        if (snapshot.Available != expectedFromSlots)
        {
            Fail($"at quiescence the available count is {snapshot.Available}, but Capacity {snapshot.Capacity} - live {snapshot.LiveCount} - retired {snapshot.RetiredCount} = {expectedFromSlots}");
        }
        else if (!snapshot.FreeListTooLong && snapshot.Available != snapshot.FreeList.Length)
        {
            Fail($"at quiescence the available count is {snapshot.Available}, but the free-list holds {snapshot.FreeList.Length} slots");
        }
    }
}
