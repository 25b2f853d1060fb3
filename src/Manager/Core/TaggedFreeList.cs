// =================================================================================================
// TaggedFreeList: the manager's lock-free free-list of slot indices.
//
// ALGORITHM (Treiber stack over indices)
//   The list is a singly linked stack threaded through the int[] `_next` (one link per slot) with
//   one 64-bit `_head` word packing the top slot (encoded slot + 1; 0 = empty) and an ABA tag
//   (HeadLayout). Every successful CAS on `_head` installs tag + 1 (mod 2^TagBits).
//     TryPop:  h = Load(head); if top(h) == 0 -> empty; n = Load(next[top]);
//              CAS(head, (n, tag(h)+1), h); on failure retry with the value seen.
//     Push(i): h = Load(head); Store(next[i], top(h)); CAS(head, (i, tag(h)+1), h); retry on failure.
//   Slots are never allocated or freed; only their membership in the list changes, so there is no
//   memory reclamation problem, only ABA.
//
// CONTENTION
//   The head sits alone on its cache line (PaddedLong); a thread whose head CAS failed backs off
//   through the seam's BackOff (production: exponential spin, capped; checked: nothing).
//   Neither changes the algorithm or its orderings.
//
// LINEARIZATION POINTS
//   TryPop success: its successful head CAS.   TryPop empty: the head load that saw top == 0.
//   Push:           its successful head CAS.
//
// ORDERING
//   The head CAS is a full fence. Push's link store happens before its CAS publishes i, so a popper
//   that loads head = i (acquire) and then next[i] reads the link Push wrote, not an older one.
//   A popper may read next[i] while another thread owns i and rewrites it: that read is a plain
//   int read (never torn, never unsafe) and its value is only used if the CAS succeeds, which the
//   tag argument below rules out unless the read was current.
//
// ABA ARGUMENT AND ITS BOUND
//   Thread A loads head h = (i, t) and next[i] = n, then is paused. The danger: meanwhile others pop
//   i, pop n (so n is live), push i back with another link; A's CAS would then install n - a live
//   slot - as the new top. A's CAS compares all 64 bits, so it succeeds only if head is again exactly
//   (i, t). Every successful head CAS adds 1 to the tag mod 2^T, so that needs a nonzero multiple of
//   2^T successful head CASes (pops and pushes on this manager) inside A's window between its head
//   load and its CAS - a few instructions.
//   Production: Capacity <= 2^24, so IndexBits <= 25 and T = 64 - IndexBits >= 39: at least
//   2^39 = 549,755,813,888 successful CASes while A is paused. One uncontended CAS on one cache
//   line costs about 5-10 ns here, so even at 2 x 10^8 CASes/s that is over 45 minutes with A
//   descheduled inside a three-instruction window; for capacities up to 2^16 (T = 47) it is over
//   8 days. Even then A corrupts the list only if next[i] also changed.
//
// WHAT WOULD INVALIDATE IT
//   - a narrower tag (the verification-only factory builds 0-4 bit tags to show the bug is real);
//   - a CAS that compares only the index bits, or any head write that is not a CAS advancing the tag
//     (catalog mutants in tests/Mutants);
//   - reading next[i] after the CAS instead of before it, or writing next[i] while i is on the list;
//   - a slot pushed while it is still live or already on the list (the manager pushes only from Free,
//     after it has taken the slot exclusively and cleared it).
//   The checked build verifies at the CAS itself that the installed top equals the popped slot's
//   current link (AbaMonitor), and at quiescence that the list holds each free slot exactly once.
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
            // Stryker disable once all : back-off only paces the retry (and counts it for the metric); no result depends on it
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
            // Stryker disable once all : back-off only paces the retry (and counts it for the metric); no result depends on it
            _seam.BackOff(++retries);
        }
    }

    /// <summary>The links (encoded: slot + 1, or 0), for the checked seam's location names and the quiescent snapshot.</summary>
    internal readonly int[] Links => _next;

    [System.Diagnostics.CodeAnalysis.UnscopedRef]
    internal ref long HeadWord => ref _head.Value;
}
