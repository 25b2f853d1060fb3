using ManagerVerified.Spec.Checking;
namespace ManagerVerified.Spec.Monitors;

/// <summary>
/// No double allocation: a slot is never handed out by the free-list while it is already handed out
/// (that is, while a live token for it exists or a Store owns it).
/// </summary>
/// <remarks>
/// Ownership is tracked per slot from the seam's hooks: taken after the pop CAS, returned before the
/// push CAS. On real threads the hooks bracket the free-list's own linearization points from inside,
/// so a correct manager can never make two takes meet.
/// </remarks>
public sealed class NoDoubleAllocationMonitor : ManagerMonitor
{
    private readonly int[] _owned;

    /// <inheritdoc />
    public NoDoubleAllocationMonitor(Checking.ViolationSink sink, int capacity)
        : base(sink, capacity) => _owned = new int[capacity];

    /// <inheritdoc />
    public override SpecProperty Property => SpecProperty.NoDoubleAllocation;

    /// <inheritdoc />
    public override void OnSlotTaken(int index, int installedTop, int link)
    {
        if (Interlocked.Exchange(ref _owned[index], 1) != 0)
        {
            Fail($"slot {index} was popped from the free-list while it was already handed out");
        }
    }

    /// <inheritdoc />
    public override void OnSlotReturning(int index) => Interlocked.Exchange(ref _owned[index], 0);
}
