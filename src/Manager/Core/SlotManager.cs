using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ManagerVerified.Seam;

namespace ManagerVerified.Core;

/// <summary>
/// The manager's one core, generic over the concurrency seam. <see cref="ConcurrentMemoryManager{TPayload}"/>
/// runs it with <see cref="ProductionSeam"/>; the checked builds run the same code with their seams.
/// </summary>
/// <typeparam name="TPayload">The payload type.</typeparam>
/// <typeparam name="TSeam">The concurrency seam.</typeparam>
/// <remarks>
/// Storage is allocated once here and never grows: the slot state, the messages and the free-list links.
/// Each slot's state (its word, its epoch, its write sequence) has a 64-byte line of its own, so readers
/// of different slots never write the same line (docs/performance.md: what the 40 padding bytes buy).
/// The available count (<see cref="Available"/>) is the free-list shards' counts; see docs/invariants.md (I4).
/// </remarks>
internal sealed partial class SlotManager<TPayload, TSeam> : ISlotLockOwner
    where TSeam : struct, IConcurrencySeam
{
    // Slot state layout: one pinned long[], slot i's line starting at element _origin + i * StateStride,
    // 64-byte aligned:
    //   [+0] slot word (SlotWord)   [+1] epoch << 1 | wrapping (I10)   [+2] hold sequence (the last write or
    //   Replace hold's number)   [+3..+7] padding
    internal const int StateStride = 8;
    internal const int WordField = 0;
    internal const int EpochField = 1;
    internal const int SequenceField = 2;
    private const int LineElements = 64 / sizeof(long);

    private TaggedFreeList<TSeam> _freeList;
    [SharedState]
    private readonly long[] _state;
    private readonly int _origin;
    private readonly Message<TPayload>[] _messages;
    [SharedState]
    private int _retired;
    private TSeam _seam;

    internal SlotManager(int capacity, MemoryClass memoryClass, TSeam seam, HeadLayout layout, ulong startTag, UInt128 startGeneration, uint managerId = 0, int shards = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, ConcurrentMemoryManager<TPayload>.MaxCapacity);
        ArgumentOutOfRangeException.ThrowIfZero(startGeneration);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(startGeneration, SlotWord.MaxGeneration);

        Id = managerId != 0 ? managerId : ManagerIdentity.Next();
        MemoryClass = memoryClass;
        _seam = seam;
        (_state, _origin) = AllocateState(capacity);
        _messages = new Message<TPayload>[MessagePadding + capacity + MessagePadding];
        long word = SlotWord.Pack(SlotWord.LowOf(startGeneration), live: false, retired: false, writer: false, readers: 0).Value;
        long epoch = (long)SlotWord.EpochOf(startGeneration) << 1;
        for (int i = 0; i < capacity; i++)
        {
            _state[_origin + (i * StateStride) + WordField] = word;
            _state[_origin + (i * StateStride) + EpochField] = epoch;
        }

        _freeList = new TaggedFreeList<TSeam>(capacity, shards, layout, startTag, seam);
        Capacity = capacity;
    }

    /// <summary>A pinned array with a 64-byte aligned run of <paramref name="capacity"/> state lines.</summary>
    private static (long[] State, int Origin) AllocateState(int capacity)
    {
        // Pinned (the pinned object heap never moves it), so the alignment found now holds for ever.
        // One spare line: the origin moves the run up to 7 elements into it.
        long[] state = GC.AllocateArray<long>((capacity * StateStride) + LineElements, pinned: true);
        GCHandle handle = GCHandle.Alloc(state, GCHandleType.Pinned);
        try
        {
            long address = handle.AddrOfPinnedObject();
            return (state, (int)((64 - (address & 63)) & 63) / sizeof(long));
        }
        finally
        {
            handle.Free();
        }
    }

    /// <summary>The number of slots.</summary>
    internal int Capacity { get; }

    /// <summary>The available count (docs/invariants.md, I4): a diagnostic sum, no step of any operation.</summary>
    [Inspection]
    internal int Available => _freeList.Available;

    /// <summary>This manager's identity, carried by every token it issues (never 0).</summary>
    internal uint Id { get; }

    /// <summary>Slots retired at their last generation (never expected: 2^70 - 1 frees of one slot).</summary>
    [Inspection]
    internal int RetiredSlots => Volatile.Read(ref _retired);

    /// <summary>Where the storage lives.</summary>
    internal MemoryClass MemoryClass { get; }

    internal HeadLayout Layout => _freeList.Layout;

    /// <summary>The number of free-list shards.</summary>
    internal int Shards => _freeList.ShardCount;

    /// <summary>Slot <paramref name="index"/>'s word (an index at or above the capacity throws).</summary>
    [SharedState]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref long WordOf(int index) => ref StateOf(index, WordField);

    /// <summary>Slot <paramref name="index"/>'s epoch word (see <see cref="WordOf"/>).</summary>
    [SharedState]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref long EpochOf(int index) => ref StateOf(index, EpochField);

    /// <summary>Slot <paramref name="index"/>'s write sequence (see <see cref="WordOf"/>).</summary>
    [SharedState]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref long SequenceOf(int index) => ref StateOf(index, SequenceField);

    [SharedState]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref long StateOf(int index, int field)
    {
        // Every caller has checked the index against the capacity already (CheckToken, or a guard's token):
        // this compare is the array bounds check the run's lines would otherwise lack, so a bug upstream
        // throws rather than reading or writing another slot's line or past the array.
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Capacity, nameof(index));
        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_state), _origin + (index * StateStride) + field);
    }


    /// <summary>The element of the state array that holds slot <paramref name="index"/>'s word (for waiting on it).</summary>
    private int WordElement(int index) => _origin + (index * StateStride) + WordField;

    /// <summary>The element of the state array that holds slot <paramref name="index"/>'s epoch (for waiting on it).</summary>
    private int EpochElement(int index) => _origin + (index * StateStride) + EpochField;

    // ---- Operations -------------------------------------------------------------------------------
    // Each returns the error and nothing else: ConcurrentMemoryManager is the one place that turns an
    // error into an exception or a false, and explains it. "wait" says whether a conflicting borrow is
    // the answer (WaitLimit.None: AlreadyBorrowed / BorrowActive / ReaderLimit) or is waited out, for
    // ever or until a deadline (Timeout) or a cancellation (OperationCanceledException).

    /// <summary>Stores <paramref name="message"/> in a free slot. Never waits: None, or NoFreeSlots.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal MemoryError Store(in Message<TPayload> message, out MessageToken token)
    {
        if (!_freeList.TryPop(out int index))
        {
            token = default;
            return MemoryError.NoFreeSlots;
        }

        // We own the slot: it is off the list and not live, so no token can lock it and nobody CASes
        // its word. Write the message, then publish it with a release store of the live bit.
        // The epoch is stable until the live bit is published: only a Free of this slot changes it.
        ref long slot = ref WordOf(index);
        long word = _seam.Load(ref slot);
        uint epoch = (uint)(_seam.Load(ref EpochOf(index)) >> 1);
        _seam.WritePlain(ref MessageOf(index), message);
        _seam.Store(ref slot, word | SlotWord.LiveBit);
        token = new MessageToken(index, new SlotWord(word).LowGeneration, epoch, Id);
        return MemoryError.None;
    }

    /// <summary>Borrows the message for reading.</summary>
    internal MemoryError Read(MessageToken token, WaitLimit wait, out ReadGuard<TPayload> guard)
    {
        MemoryError error = EnterRead(token, wait, out int index);
        guard = error == MemoryError.None ? new ReadGuard<TPayload>(this, ref MessageOf(index), token) : default;
        return error;
    }

    /// <summary>Borrows the header for reading (the same read lock as <see cref="Read"/>).</summary>
    internal MemoryError PeekHeader(MessageToken token, WaitLimit wait, out HeaderGuard guard)
    {
        MemoryError error = EnterRead(token, wait, out int index);
        guard = error == MemoryError.None ? new HeaderGuard(this, ref MessageOf(index).Header, token) : default;
        return error;
    }

    /// <summary>Borrows the message exclusively for writing. Poisoned messages are refused (Poisoned).</summary>
    internal MemoryError Write(MessageToken token, WaitLimit wait, out WriteGuard<TPayload> guard)
    {
        MemoryError error = EnterExclusive(token, wait, MemoryError.StaleToken, MemoryError.AlreadyBorrowed, allowPoisoned: false, out int index, out long held);
        if (error != MemoryError.None)
        {
            guard = default;
            return error;
        }

        // The guard's hold: its number, then its ticket in the word. Only a release or commit that names this
        // hold (the guard, or a copy of it) matches the word from here until the release.
        long hold = BeginChange(index);
        _seam.Store(ref WordOf(index), held | SlotWord.TicketOf(hold));
        guard = new WriteGuard<TPayload>(this, ref MessageOf(index), token, hold);
        return MemoryError.None;
    }

    /// <summary>Overwrites the whole message and publishes it: a completed write, so it also clears poison.</summary>
    internal MemoryError Replace(MessageToken token, in Message<TPayload> message, WaitLimit wait)
    {
        MemoryError error = EnterExclusive(token, wait, MemoryError.StaleToken, MemoryError.AlreadyBorrowed, allowPoisoned: true, out int index, out long held);
        if (error == MemoryError.None)
        {
            BeginChange(index);
            _seam.WritePlain(ref MessageOf(index), message);
            ReleaseExclusive(index, held | SlotWord.CommittedBit); // the hold's ticket is 0: no guard's copy changed the word
        }

        return error;
    }

    /// <inheritdoc cref="Free(MessageToken, WaitLimit, out bool)"/>
    internal MemoryError Free(MessageToken token, WaitLimit wait) => Free(token, wait, out _);

    /// <summary>Frees the message (poisoned or not): its generation ends and the slot returns to the
    /// free-list, or, at the last generation, the slot retires (<paramref name="retired"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal MemoryError Free(MessageToken token, WaitLimit wait, out bool retired)
    {
        retired = false;
        MemoryError error = EnterExclusive(token, wait, MemoryError.NotAllocated, MemoryError.BorrowActive, allowPoisoned: true, out int index, out _);
        if (error != MemoryError.None)
        {
            return error;
        }

        // Exclusive and live: drop the message so the manager keeps no reference to the payload.
        _seam.WritePlain(ref MessageOf(index), default);

        // The slot's generation is the token's: EnterExclusive checked both parts.
        ulong low = token.LowGeneration;
        _seam.OnWriteExiting(index);
        if (low == SlotWord.MaxLowGeneration && token.Epoch == uint.MaxValue)
        {
            // The last generation (after 2^70 - 1 frees of this slot): retire the slot rather than
            // reuse a generation, so a stale token can never reach a newer message.
            _seam.Store(ref WordOf(index), SlotWord.Pack(low, live: false, retired: true, writer: false, readers: 0).Value);
            _seam.Add(ref _retired, 1);
            retired = true;
            return MemoryError.None;
        }

        if (low == SlotWord.MaxLowGeneration)
        {
            // The low part wraps: the epoch advances, marked "wrapping" until the word holds the new low
            // part, so a refusal never pairs the new epoch with the old word (docs/invariants.md, I10).
            long epoch = (long)token.Epoch << 1;
            _seam.Store(ref EpochOf(index), epoch | 1);
            _seam.Store(ref WordOf(index), SlotWord.Pack(0, live: false, retired: false, writer: false, readers: 0).Value);
            _seam.Store(ref EpochOf(index), epoch + 2);
        }
        else
        {
            // Release store: the token's generation is now stale for every later check.
            _seam.Store(ref WordOf(index), SlotWord.Pack(low + 1, live: false, retired: false, writer: false, readers: 0).Value);
        }

        // Back on the list (its home shard), counted before it is pushed (I4).
        _freeList.Push(index);
        return MemoryError.None;
    }

    // ---- Verification-only inspection -------------------------------------------------------------

    /// <summary>Before the manager is shared: every slot's last hold number is <paramref name="hold"/>, so the next write
    /// holds take the numbers (and tickets) after it; a checked run starts there to reach a ticket's wrap.</summary>
    [Inspection]
    internal void StartHoldsAt(long hold)
    {
        for (int i = 0; i < Capacity; i++)
        {
            _state[_origin + (i * StateStride) + SequenceField] = hold;
        }
    }

    /// <summary>The shared slot state, so a checked seam can name the location of each access (race detection).</summary>
    [Inspection]
    internal long[] State => _state;

    /// <summary>The element of <see cref="State"/> where slot 0's line starts.</summary>
    internal int StateOrigin => _origin;

    /// <summary>Elements from one slot's line to the next (<see cref="StateStride"/>, read at run time so a
    /// harness compiled against one build names the locations of another).</summary>
    internal static int StateLine => StateStride;

    /// <summary>Slot <paramref name="index"/>'s word, bounds-checked (tests and snapshots).</summary>
    [Inspection]
    internal ref long SlotWordAt(int index) => ref _state[WordElement(CheckedIndex(index))];

    /// <summary>Slot <paramref name="index"/>'s epoch word, bounds-checked (tests and snapshots).</summary>
    [Inspection]
    internal ref long EpochAt(int index) => ref _state[EpochElement(CheckedIndex(index))];

    /// <summary>Every slot word, copied (tests: a failed operation changes none).</summary>
    [Inspection]
    internal long[] CopySlotWords()
    {
        var words = new long[Capacity];
        for (int i = 0; i < words.Length; i++)
        {
            words[i] = Volatile.Read(ref SlotWordAt(i));
        }

        return words;
    }

    private int CheckedIndex(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Capacity);
        return index;
    }

    /// <summary>Messages of padding before the first slot's message and after the last: at least 64 bytes, so no other
    /// object's fields share a cache line with slot 0's or the last slot's message (Store and Free write them). Without
    /// it, Store+Free of slot 0 wrote the line of the object allocated before the array, which every operation reads:
    /// with the links padded, two threads on two shards ran the core at 16 Mops/s on 2 cores, 97 with this padding too
    /// (docs/performance.md, "How the false sharing was found").</summary>
    private static int MessagePadding
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (64 + Unsafe.SizeOf<Message<TPayload>>() - 1) / Unsafe.SizeOf<Message<TPayload>>(); // a constant once compiled
    }

    /// <summary>Slot <paramref name="index"/>'s message.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Message<TPayload> MessageOf(int index) => ref _messages[MessagePadding + index];

    /// <summary>Slot <paramref name="index"/>'s message (tests).</summary>
    internal ref Message<TPayload> MessageAt(int index) => ref MessageOf(CheckedIndex(index));

    /// <summary>The padded message array (the layout tests).</summary>
    internal Message<TPayload>[] MessageStorage => _messages;

    /// <summary>The padded link array (the layout tests).</summary>
    [Inspection]
    internal int[] LinkStorage => _freeList.LinkStorage;

    /// <summary>The slot whose message holds <paramref name="location"/> (a message or a field of one), or -1 (the
    /// checked seam's location names).</summary>
    internal int MessageIndexOf<T>(ref T location)
    {
        nint offset = Unsafe.ByteOffset(ref MessageOf(0), ref Unsafe.As<T, Message<TPayload>>(ref location));
        nint size = Unsafe.SizeOf<Message<TPayload>>();
        return offset >= 0 && offset < Capacity * size ? (int)(offset / size) : -1;
    }

    /// <summary>Slot <paramref name="index"/>'s free-list link (encoded: the next slot + 1, or 0), for the quiescent snapshot and tests.</summary>
    [Inspection]
    internal ref int LinkAt(int index) => ref _freeList.LinkOf(CheckedIndex(index));

    /// <summary>The slot whose link <paramref name="location"/> is, or -1 (the checked seam's location names).</summary>
    [Inspection]
    internal int LinkIndexOf(ref int location) => _freeList.LinkIndexOf(ref location);

    /// <inheritdoc cref="State"/>
    internal FreeListShard[] FreeListShards => _freeList.Shards;

    /// <inheritdoc cref="State"/>
    [Inspection]
    internal ref int RetiredWord => ref _retired;
}

/// <summary>Hands out manager identities: process-wide, never 0 and never one of the <see cref="Reserved"/> identities
/// (verification managers' fixed ones), unique among the first 2^32 - 257 managers a process creates (then they wrap).</summary>
internal static class ManagerIdentity
{
    /// <summary>The first of the 256 identities <see cref="Next"/> never hands out: a checked manager takes one of them,
    /// fixed so that its traces replay, and no manager a test or a scenario constructs can share it.</summary>
    internal const uint Reserved = 0xFFFF_FF00;

    private static int s_last;

    internal static uint Next()
    {
        uint id;
        do
        {
            id = (uint)Interlocked.Increment(ref s_last); // construction, not an operation: not through the seam
        }
        while (id == 0 || id >= Reserved);
        return id;
    }
}
