// =================================================================================================
// TaggedFreeList: the lock-free free-list of slot indices, sharded: N Treiber stacks (one per core, at
// most 64) threaded through one int link array; slot i belongs to shard i * N / capacity (its home: a
// block of neighbouring slots, so threads on different shards never write neighbouring messages) and
// only ever returns there. Each shard's 64-bit head packs its top (slot + 1; 0 = empty) and an ABA tag
// (HeadLayout); every successful head CAS installs tag + 1 (mod 2^TagBits). Each shard also counts its
// slots (the available count, summed on demand), and shard and count share one padded line.
//   TryPop(hint):  for each shard from the hint's (hint mod N), wrapping: PopFrom(s) -> done. All empty: load every head
//                  again; unchanged -> empty (all were empty at once), else scan again.
//   PopFrom(s):    h = Load(head[s]); top(h) == 0 -> empty; n = Load(next[top]); CAS(head[s], (n, tag + 1), h);
//                  retry; then Add(count[s], -1).
//   Push(i):       s = home(i); Add(count[s], +1); h = Load(head[s]); Store(next[i], top(h)); CAS(head[s], (i, tag + 1), h); retry.
// The hint is the storing thread's processor (the seam's), so threads on different cores pop from
// different lines; a slot goes back to its home shard, so a thread that stores and frees its own messages
// stays on its own shard, and a consumer's frees return the slots to the producer's shard.
// Orderings: the head CAS is a full fence; Push's link store precedes the CAS that publishes i, so a
//   popper that loads head = i and then next[i] reads that link. A popper's read of next[i] may be
//   stale: its value is used only if the CAS succeeds, which the tag rules out unless it was current.
//   A shard's count is decremented after its pop and incremented before its push, so it never drops
//   below 0. The empty verdict is a double collect: a head unchanged across two loads (same tag) had no
//   successful CAS in between, so every shard was empty at the instant between the two passes.
// Slots are never allocated or freed, only listed: no reclamation problem, only ABA. A failed CAS
//   backs off through the seam. (Loading the head again after the back-off measured 7x slower on one
//   contended head: a load and then the CAS are two coherence transactions where the CAS alone is one.)
// Linearization points, the ABA bound, what would invalidate it: docs/invariants.md (I2, I3, I4, I7).
// =================================================================================================
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ManagerVerified.Seam;

namespace ManagerVerified.Core;

/// <summary>The lock-free, ABA-tagged, sharded free-list of slot indices (see the file header).</summary>
/// <typeparam name="TSeam">The concurrency seam.</typeparam>
internal struct TaggedFreeList<TSeam>
    where TSeam : struct, IConcurrencySeam
{
    /// <summary>The most shards a list has.</summary>
    internal const int MaxShards = 64;

    private readonly FreeListShard[] _shards; // one padded line each: the head every pop and push CASes, and its count
    [SharedState]
    private readonly int[] _links; // slot i's link at LinkPadding + i (encoded: the next slot + 1, or 0)
    private readonly HeadLayout _layout;
    private readonly ulong _homeScale; // a slot's home shard is (index * _homeScale) >> 32 = floor(index * N / capacity), within one
    private TSeam _seam;

    /// <summary>Builds full lists with the given starting tag: <paramref name="shards"/> (1 to <paramref name="count"/>
    /// and <see cref="MaxShards"/>) shards, each holding its home slots (a block of neighbouring slots, the
    /// blocks' sizes within one of each other) in ascending order, lowest on top.</summary>
    internal TaggedFreeList(int count, int shards, HeadLayout layout, ulong startTag, TSeam seam)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shards, Math.Min(count, MaxShards));

        _layout = layout;
        _seam = seam;
        _links = new int[LinkPadding + count + LinkPadding];
        _shards = new FreeListShard[shards];
        _homeScale = ((ulong)shards << 32) / (ulong)count;
        int previousHome = -1;
        for (int i = count - 1; i >= 0; i--)
        {
            int home = HomeOf(i);
            LinkOf(i) = home == previousHome ? i + 2 : 0; // encoded: the next slot of the block, or 0 after the shard's last
            _shards[home].Head = layout.Pack(i + 1, startTag); // ends as the shard's lowest slot
            _shards[home].Available++;
            previousHome = home;
        }
    }

    /// <summary>Picks the shard count for <paramref name="capacity"/> slots on <paramref name="processors"/>
    /// processors: one per processor, at most the capacity and <see cref="MaxShards"/>.</summary>
    internal static int ShardsFor(int capacity, int processors) => Math.Clamp(Math.Min(processors, MaxShards), 1, capacity);

    /// <summary>The shard slot <paramref name="index"/> belongs to: floor(index * shards / capacity) or one below
    /// it (a multiply and a shift, no division); every shard gets at least one slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly int HomeOf(int index) => (int)(((ulong)(uint)index * _homeScale) >> 32);

    internal readonly HeadLayout Layout => _layout;

    internal readonly int ShardCount => _shards.Length;

    /// <summary>The available count: the shards' counts summed, each read once, one after another (exact when
    /// no operation is in flight). Each count is within [0, its home slots] at every instant (I4), so any such
    /// sum is within [0, capacity] whatever happened between the reads.</summary>
    [Inspection]
    internal readonly int Available
    {
        get
        {
            int sum = 0;
            foreach (ref FreeListShard shard in _shards.AsSpan())
            {
                sum += Volatile.Read(ref shard.Available); // diagnostics only: not a step of any operation
            }

            return sum;
        }
    }

    /// <summary>Pops a free slot, from the shard of the seam's processor hint first (asked only when there is
    /// more than one shard), then from the others. Returns false only when every shard was empty at one
    /// instant (the double collect's linearization point).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryPop(out int index)
    {
        int home = _shards.Length == 1 ? 0 : ShardOf(_seam.ShardHint());
        return PopFrom(home, out index, out _) || TryPopElsewhere(home, out index);
    }

    /// <summary>The shard a hint names: the hint itself when it is one (a processor number below the shard count,
    /// the usual case), else the hint modulo the shard count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly int ShardOf(int hint) => (uint)hint < (uint)_shards.Length ? hint : (int)((uint)hint % (uint)_shards.Length);

    /// <summary>The slow path: the home shard was empty. Steals from the other shards in turn; when all are
    /// empty, confirms by loading every head again (the double collect).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryPopElsewhere(int home, out int index)
    {
        int shards = _shards.Length;
        Span<long> seen = stackalloc long[shards];
        while (true)
        {
            for (int k = 0; k < shards; k++)
            {
                int s = home + k < shards ? home + k : home + k - shards;
                if (PopFrom(s, out index, out seen[s]))
                {
                    return true;
                }
            }

            bool unchanged = true;
            for (int s = 0; s < shards && unchanged; s++)
            {
                unchanged = _seam.Load(ref _shards[s].Head) == seen[s];
            }

            if (unchanged)
            {
                // Stryker disable once Unary : a sentinel no caller reads (they check the result); -1 fails loudly if one did
                index = -1;
                return false; // LP (empty): between the two passes every shard was empty.
            }
        }
    }

    /// <summary>Pops from shard <paramref name="s"/>; false (with the head that showed it empty) when it was empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool PopFrom(int s, out int index, out long emptyHead)
    {
        ref FreeListShard shard = ref _shards[s];
        int retries = 0;
        long head = _seam.Load(ref shard.Head);
        while (true)
        {
            int top = _layout.EncodedTop(head);
            if (top == 0)
            {
                index = -1;
                emptyHead = head;
                return false;
            }

            // Read the link before the CAS: after a successful CAS the tag guarantees it was current.
            int next = _seam.Load(ref LinkOf(top - 1));
            long seen = _seam.CompareExchange(ref shard.Head, _layout.Advance(head, next), head);
            if (seen == head)
            {
                // LP (success). We now own slot top - 1 and its link.
                index = top - 1;
                emptyHead = 0;
                _seam.OnSlotTaken(index, next, ref LinkOf(index));

                // Count second: a slot in transit (popped, not yet counted) is still counted as available,
                // so the shard's count never drops below 0 (docs/invariants.md, I4).
                _seam.OnAvailableChanged(s, _seam.Add(ref shard.Available, -1));
                return true;
            }

            head = seen; // another pop or push won; retry against what it installed
            // Stryker disable once Update : the attempt number only paces the back-off; no result depends on it
            _seam.BackOff(++retries);
        }
    }

    /// <summary>Pushes a slot the caller owns (not live, not on the list) back on its home shard.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Push(int index)
    {
        int s = HomeOf(index);
        ref FreeListShard shard = ref _shards[s];

        // Count first, push second (see PopFrom). Pushing first let a Store pop and decrement in between:
        // the Coyote harness found the count at -1.
        _seam.OnAvailableChanged(s, _seam.Add(ref shard.Available, 1));
        _seam.OnSlotReturning(index);
        int retries = 0;
        long head = _seam.Load(ref shard.Head);
        while (true)
        {
            // The link must be written before the CAS publishes index (release via the CAS fence).
            _seam.Store(ref LinkOf(index), _layout.EncodedTop(head));
            long seen = _seam.CompareExchange(ref shard.Head, _layout.Advance(head, index + 1), head);
            if (seen == head)
            {
                return; // LP
            }

            head = seen;
            // Stryker disable once Update : the attempt number only paces the back-off; no result depends on it
            _seam.BackOff(++retries);
        }
    }

    /// <summary>Ints of padding before the first link and after the last: 64 bytes, so no other object's fields share a
    /// cache line with slot 0's link or the last slot's (a Push writes its slot's link). Without it, the thread storing
    /// and freeing slot 0 wrote the line holding the fields of the object allocated before the array, which every
    /// operation reads: two threads popping and pushing on two shards ran at 60 Mops/s on 2 cores against 99 for one
    /// thread, 178 with the padding (docs/performance.md, "How the false sharing was found").</summary>
    private const int LinkPadding = 16;

    /// <summary>Slot <paramref name="index"/>'s link (encoded: the next slot + 1, or 0).</summary>
    [SharedState]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal readonly ref int LinkOf(int index) => ref _links[LinkPadding + index];

    /// <summary>The padded link array (the layout tests).</summary>
    [Inspection]
    internal readonly int[] LinkStorage => _links;

    /// <summary>The slot whose link <paramref name="location"/> is, or -1 when it is none (the checked seam's location names).</summary>
    [Inspection]
    internal readonly int LinkIndexOf(ref int location)
    {
        nint offset = Unsafe.ByteOffset(ref LinkOf(0), ref location) / sizeof(int);
        return offset >= 0 && offset < _links.Length - (2 * LinkPadding) ? (int)offset : -1;
    }

    /// <summary>The shards, for the checked seam's location names and the quiescent snapshot.</summary>
    internal readonly FreeListShard[] Shards => _shards;
}

/// <summary>One shard of the free-list: its head and its count, alone on a cache line (64 bytes of padding
/// before them and 52 after, so no other shard's fields share the line whatever the array's alignment).</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct FreeListShard
{
    // Layout (128 bytes): [0..63] padding | [64..71] Head (HeadLayout) | [72..75] Available | [76..127] padding
    [FieldOffset(64)]
    [SharedState]
    public long Head;

    [FieldOffset(72)]
    [SharedState]
    public int Available;
}
