using ManagerVerified.Spec.Checking;
using ManagerVerified.Core;
using ManagerVerified.Verification;

namespace ManagerVerified.Spec.Monitors;

/// <summary>
/// ABA safety: every successful pop installs as the new head exactly the link of the popped slot at
/// that moment, and the free-list never holds a slot twice or a live slot.
/// </summary>
/// <remarks>
/// The first half is checked at the CAS itself: after a successful pop the popper owns the slot, so its
/// link cannot legitimately change before the hook reads it; a pop that installed anything else used a
/// link that had changed since it was read - the ABA. The second half is checked at the push (a slot
/// pushed while already on the list) and at quiescence (the list is exactly the free slots, once each).
/// </remarks>
public sealed class AbaSafetyMonitor : ManagerMonitor
{
    private readonly int[] _onList;

    /// <inheritdoc />
    public AbaSafetyMonitor(Checking.ViolationSink sink, int capacity)
        : base(sink, capacity)
    {
        _onList = new int[capacity];
        Array.Fill(_onList, 1);
    }

    /// <inheritdoc />
    public override SpecProperty Property => SpecProperty.AbaSafety;

    /// <inheritdoc />
    public override void OnSlotTaken(int index, int installedTop, int link)
    {
        if (link != installedTop)
        {
            Fail($"the pop of slot {index} installed top {Describe(installedTop)}, but slot {index}'s link is {Describe(link)} at that CAS (a stale link: ABA)");
        }

        Interlocked.Exchange(ref _onList[index], 0);
    }

    /// <inheritdoc />
    public override void OnSlotReturning(int index)
    {
        if (Interlocked.Exchange(ref _onList[index], 1) != 0)
        {
            Fail($"slot {index} was pushed while it was already on the free-list");
        }
    }

    /// <inheritdoc />
    internal override void CheckQuiescent(QuiescentSnapshot snapshot)
    {
        if (snapshot.FreeListTooLong)
        {
            Fail($"the free-list has more than {snapshot.Capacity} entries (a cycle or a duplicate): {string.Join(",", snapshot.FreeList)}...");
            return;
        }

        var seen = new HashSet<int>();
        foreach (int slot in snapshot.FreeList)
        {
            if (!seen.Add(slot))
            {
                Fail($"slot {slot} is on the free-list twice: {string.Join(",", snapshot.FreeList)}");
                return;
            }

            if (snapshot.Words[slot].IsLive)
            {
                Fail($"live slot {slot} is on the free-list: {string.Join(",", snapshot.FreeList)}");
                return;
            }
        }

        for (int slot = 0; slot < snapshot.Capacity; slot++)
        {
            SlotWord word = snapshot.Words[slot];
            if (!word.IsLive && !word.IsRetired && !seen.Contains(slot))
            {
                Fail($"free slot {slot} is missing from the free-list (lost): {string.Join(",", snapshot.FreeList)}");
                return;
            }
        }
    }

    private static string Describe(int encodedTop) => encodedTop == 0 ? "empty" : $"slot {encodedTop - 1}";
}
