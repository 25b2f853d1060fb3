using System.Runtime.CompilerServices;
using ManagerVerified.Seam;

namespace ManagerVerified.Core;

/// <summary>
/// The manager's one core, generic over the concurrency seam. <see cref="ConcurrentMemoryManager{TPayload}"/>
/// runs it with <see cref="ProductionSeam"/>; the checked builds run the same code with their seams.
/// </summary>
/// <typeparam name="TPayload">The payload type.</typeparam>
/// <typeparam name="TSeam">The concurrency seam.</typeparam>
/// <remarks>
/// Storage is allocated once here and never grows: the slot words, the epochs, the messages and the free-list links.
/// The available count (<see cref="Available"/>) is decremented after a successful pop and incremented
/// before a push; see docs/invariants.md (I4) for why that order keeps it within [0, Capacity].
/// </remarks>
internal sealed partial class SlotManager<TPayload, TSeam> : ISlotLockOwner
    where TSeam : struct, IConcurrencySeam
{
    private TaggedFreeList<TSeam> _freeList;
    private PaddedInt _available; // alone on its cache line: every store and free adds to it
    private readonly long[] _words;
    private readonly long[] _epochs;       // per slot: epoch << 1 | wrapping (docs/invariants.md, I8)
    private readonly int[] _writeSequence; // per slot, bumped by every write guard's release (TryCopyHeader)
    private readonly Message<TPayload>[] _messages;
    private int _retired;
    private TSeam _seam;

    internal SlotManager(int capacity, MemoryClass memoryClass, TSeam seam, HeadLayout layout, ulong startTag, UInt128 startGeneration, uint managerId = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, ConcurrentMemoryManager<TPayload>.MaxCapacity);
        ArgumentOutOfRangeException.ThrowIfZero(startGeneration);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(startGeneration, SlotWord.MaxGeneration);

        Id = managerId != 0 ? managerId : ManagerIdentity.Next();
        MemoryClass = memoryClass;
        _seam = seam;
        _words = new long[capacity];
        _epochs = new long[capacity];
        _writeSequence = new int[capacity];
        _messages = new Message<TPayload>[capacity];
        Array.Fill(_words, SlotWord.Pack(SlotWord.LowOf(startGeneration), live: false, retired: false, writer: false, readers: 0).Value);
        Array.Fill(_epochs, (long)SlotWord.EpochOf(startGeneration) << 1);
        _freeList = new TaggedFreeList<TSeam>(capacity, layout, startTag, seam);
        _available.Value = capacity;
    }

    /// <summary>The number of slots.</summary>
    internal int Capacity => _words.Length;

    /// <summary>The available count (docs/invariants.md, I4).</summary>
    internal int Available => Volatile.Read(ref _available.Value);

    /// <summary>This manager's identity, carried by every token it issues (never 0).</summary>
    internal uint Id { get; }

    /// <summary>Slots retired at their last generation (never expected: 2^70 - 1 frees of one slot).</summary>
    internal int RetiredSlots => Volatile.Read(ref _retired);

    /// <summary>Where the storage lives.</summary>
    internal MemoryClass MemoryClass { get; }

    internal HeadLayout Layout => _freeList.Layout;

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

        _seam.OnAvailableChanged(_seam.Add(ref _available.Value, -1));

        // We own the slot: it is off the list and not live, so no token can lock it and nobody CASes
        // its word. Write the message, then publish it with a release store of the live bit.
        // The epoch is stable until the live bit is published: only a Free of this slot changes it.
        ref long slot = ref _words[index];
        long word = _seam.Load(ref slot);
        uint epoch = (uint)(_seam.Load(ref EpochOf(index)) >> 1);
        _seam.WritePlain(ref _messages[index], message);
        _seam.Store(ref slot, word | SlotWord.LiveBit);
        token = new MessageToken(index, new SlotWord(word).LowGeneration, epoch, Id);
        return MemoryError.None;
    }

    /// <summary>Borrows the message for reading.</summary>
    internal MemoryError Read(MessageToken token, WaitLimit wait, out ReadGuard<TPayload> guard)
    {
        MemoryError error = EnterRead(token, wait, out int index);
        guard = error == MemoryError.None ? new ReadGuard<TPayload>(this, ref _messages[index], token) : default;
        return error;
    }

    /// <summary>Borrows the header for reading (the same read lock as <see cref="Read"/>).</summary>
    internal MemoryError PeekHeader(MessageToken token, WaitLimit wait, out HeaderGuard guard)
    {
        MemoryError error = EnterRead(token, wait, out int index);
        guard = error == MemoryError.None ? new HeaderGuard(this, ref _messages[index].Header, token) : default;
        return error;
    }

    /// <summary>Borrows the message exclusively for writing. Poisoned messages are refused (Poisoned).</summary>
    internal MemoryError Write(MessageToken token, WaitLimit wait, out WriteGuard<TPayload> guard)
    {
        MemoryError error = EnterExclusive(token, wait, MemoryError.StaleToken, MemoryError.AlreadyBorrowed, allowPoisoned: false, out int index);
        guard = error == MemoryError.None ? new WriteGuard<TPayload>(this, ref _messages[index], token) : default;
        return error;
    }

    /// <summary>Overwrites the whole message and publishes it: a completed write, so it also clears poison.</summary>
    internal MemoryError Replace(MessageToken token, in Message<TPayload> message, WaitLimit wait)
    {
        MemoryError error = EnterExclusive(token, wait, MemoryError.StaleToken, MemoryError.AlreadyBorrowed, allowPoisoned: true, out int index);
        if (error == MemoryError.None)
        {
            _seam.WritePlain(ref _messages[index], message);
            ReleaseExclusive(index, _seam.Load(ref _words[index]) | SlotWord.CommittedBit);
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
        MemoryError error = EnterExclusive(token, wait, MemoryError.NotAllocated, MemoryError.BorrowActive, allowPoisoned: true, out int index);
        if (error != MemoryError.None)
        {
            return error;
        }

        // Exclusive and live: drop the message so the manager keeps no reference to the payload.
        _seam.WritePlain(ref _messages[index], default);

        // The slot's generation is the token's: EnterExclusive checked both parts.
        ulong low = token.LowGeneration;
        _seam.OnWriteExiting(index);
        if (low == SlotWord.MaxLowGeneration && token.Epoch == uint.MaxValue)
        {
            // The last generation (after 2^70 - 1 frees of this slot): retire the slot rather than
            // reuse a generation, so a stale token can never reach a newer message.
            _seam.Store(ref _words[index], SlotWord.Pack(low, live: false, retired: true, writer: false, readers: 0).Value);
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
            _seam.Store(ref _words[index], SlotWord.Pack(0, live: false, retired: false, writer: false, readers: 0).Value);
            _seam.Store(ref EpochOf(index), epoch + 2);
        }
        else
        {
            // Release store: the token's generation is now stale for every later check.
            _seam.Store(ref _words[index], SlotWord.Pack(low + 1, live: false, retired: false, writer: false, readers: 0).Value);
        }

        // Count first, push second. Store pops first and counts second, so every slot in transit
        // (popped but not yet counted, or counted but not yet pushed) is counted as available and the
        // count can never drop below 0. (Pushing first let a Store pop and decrement in between: the
        // Coyote harness found the count at -1.)
        _seam.OnAvailableChanged(_seam.Add(ref _available.Value, 1));
        _freeList.Push(index);
        return MemoryError.None;
    }

    // ---- Verification-only inspection -------------------------------------------------------------

    /// <summary>The shared storage, so a checked seam can name the location of each access (race detection).</summary>
    internal long[] SlotWords => _words;

    /// <inheritdoc cref="SlotWords"/>
    internal long[] Epochs => _epochs;

    /// <inheritdoc cref="SlotWords"/>
    internal int[] WriteSequences => _writeSequence;

    /// <inheritdoc cref="SlotWords"/>
    internal Message<TPayload>[] Messages => _messages;

    /// <inheritdoc cref="SlotWords"/>
    internal int[] Links => _freeList.Links;

    /// <inheritdoc cref="SlotWords"/>
    internal ref long HeadWord => ref _freeList.HeadWord;

    /// <inheritdoc cref="SlotWords"/>
    internal ref int AvailableWord => ref _available.Value;

    /// <inheritdoc cref="SlotWords"/>
    internal ref int RetiredWord => ref _retired;
}

/// <summary>Hands out manager identities: process-wide, never 0, unique among the first 2^32 - 1 managers
/// a process creates (then they wrap and skip 0).</summary>
internal static class ManagerIdentity
{
    private static int s_last;

    internal static uint Next()
    {
        uint id;
        do
        {
            id = (uint)Interlocked.Increment(ref s_last); // construction, not an operation: not through the seam
        }
        while (id == 0);
        return id;
    }
}
