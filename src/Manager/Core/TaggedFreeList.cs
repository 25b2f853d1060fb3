// =================================================================================================
// TaggedFreeList: the lock-free free-list of slot indices, a Treiber stack threaded through int links.
// One 64-bit head packs the top (slot + 1; 0 = empty) and an ABA tag (HeadLayout); every successful
// head CAS installs tag + 1 (mod 2^TagBits).
//   TryPop:  h = Load(head); top(h) == 0 -> empty; n = Load(next[top]); CAS(head, (n, tag + 1), h); retry.
//   Push(i): h = Load(head); Store(next[i], top(h)); CAS(head, (i, tag + 1), h); retry.
// Orderings: the head CAS is a full fence; Push's link store precedes the CAS that publishes i, so a
//   popper that loads head = i and then next[i] reads that link. A popper's read of next[i] may be
//   stale: its value is used only if the CAS succeeds, which the tag rules out unless it was current.
// Slots are never allocated or freed, only listed: no reclamation problem, only ABA. A failed CAS
//   backs off through the seam; the head is alone on its cache line.
// Linearization points, the ABA bound, what would invalidate it: docs/invariants.md (I2, I3).
// =================================================================================================
using System.Runtime.CompilerServices;
using ManagerVerified.Seam;

namespace ManagerVerified.Core;

/// <summary>The lock-free, ABA-tagged free-list of slot indices (see the file header).</summary>
/// <typeparam name="TSeam">The concurrency seam.</typeparam>
internal struct TaggedFreeList<TSeam>
    where TSeam : struct, IConcurrencySeam
{
    private PaddedLong _head; // alone on its cache line: every pop and push CASes it
    private readonly int[] _next;
    private readonly HeadLayout _layout;
    private TSeam _seam;

    /// <summary>Builds a full list 0 -> 1 -> ... -> count - 1 with the given starting tag.</summary>
    internal TaggedFreeList(int count, HeadLayout layout, ulong startTag, TSeam seam)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _layout = layout;
        _seam = seam;
        _next = new int[count];
        for (int i = 0; i < count; i++)
        {
            _next[i] = i + 2 <= count ? i + 2 : 0; // encoded: slot i+1, or 0 after the last slot
        }

        _head.Value = layout.Pack(1, startTag); // slot 0 on top
    }

    internal readonly HeadLayout Layout => _layout;

    /// <summary>Pops a free slot. Returns false when the list was empty at the head load that saw it empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryPop(out int index)
    {
        int retries = 0;
        long head = _seam.Load(ref _head.Value);
        while (true)
        {
            int top = _layout.EncodedTop(head);
            if (top == 0)
            {
                // Stryker disable once Unary : a sentinel no caller reads (they check the result); -1 fails loudly if one did
                index = -1;
                return false; // LP (empty): this load saw no free slot.
            }

            // Read the link before the CAS: after a successful CAS the tag guarantees it was current.
            int next = _seam.Load(ref _next[top - 1]);
            long seen = _seam.CompareExchange(ref _head.Value, _layout.Advance(head, next), head);
            if (seen == head)
            {
                // LP (success). We now own slot top - 1 and its link.
                index = top - 1;
                _seam.OnSlotTaken(index, next, _next);
                return true;
            }

            head = seen; // another pop or push won; retry against what it installed
            // Stryker disable once Update : the attempt number only paces the back-off; no result depends on it
            _seam.BackOff(++retries);
        }
    }

    /// <summary>Pushes a slot the caller owns (not live, not on the list) back on the list.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Push(int index)
    {
        _seam.OnSlotReturning(index);
        int retries = 0;
        long head = _seam.Load(ref _head.Value);
        while (true)
        {
            // The link must be written before the CAS publishes index (release via the CAS fence).
            _seam.Store(ref _next[index], _layout.EncodedTop(head));
            long seen = _seam.CompareExchange(ref _head.Value, _layout.Advance(head, index + 1), head);
            if (seen == head)
            {
                return; // LP
            }

            head = seen;
            // Stryker disable once Update : the attempt number only paces the back-off; no result depends on it
            _seam.BackOff(++retries);
        }
    }

    /// <summary>The links (encoded: slot + 1, or 0), for the checked seam's location names and the quiescent snapshot.</summary>
    internal readonly int[] Links => _next;

    [System.Diagnostics.CodeAnalysis.UnscopedRef]
    internal ref long HeadWord => ref _head.Value;
}
