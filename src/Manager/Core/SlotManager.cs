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
/// Storage is allocated once here and never grows: the slot words, the messages and the free-list links.
/// The available count (<see cref="Available"/>) is decremented after a successful pop and incremented
/// before a push; see docs/invariants.md (I4) for why that order keeps it within [0, Capacity].
/// </remarks>
internal sealed partial class SlotManager<TPayload, TSeam> : ISlotLockOwner
    where TSeam : struct, IConcurrencySeam
{
    private TaggedFreeList<TSeam> _freeList;
    private PaddedInt _available; // alone on its cache line: every store and free adds to it
    private readonly long[] _words;
    private readonly int[] _writeSequence; // per slot, bumped by every write guard's release (TryCopyHeader)
    private readonly Message<TPayload>[] _messages;
    private TSeam _seam;

    internal SlotManager(int capacity, MemoryClass memoryClass, TSeam seam, HeadLayout layout, ulong startTag, ulong startGeneration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, ConcurrentMemoryManager<TPayload>.MaxCapacity);
        ArgumentOutOfRangeException.ThrowIfZero(startGeneration);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(startGeneration, SlotWord.MaxGeneration);

        MemoryClass = memoryClass;
        _seam = seam;
        _words = new long[capacity];
        _writeSequence = new int[capacity];
        _messages = new Message<TPayload>[capacity];
        long initial = SlotWord.Pack(startGeneration, live: false, retired: false, writer: false, readers: 0).Value;
        Array.Fill(_words, initial);
        _freeList = new TaggedFreeList<TSeam>(capacity, layout, startTag, seam);
        _available.Value = capacity;
    }

    /// <summary>The number of slots.</summary>
    internal int Capacity => _words.Length;

    /// <summary>The available count (docs/invariants.md, I4).</summary>
    internal int Available => Volatile.Read(ref _available.Value);

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
        ref long slot = ref _words[index];
        long word = _seam.Load(ref slot);
        _seam.WritePlain(ref _messages[index], message);
        _seam.Store(ref slot, word | SlotWord.LiveBit);

        token = new MessageToken(index, new SlotWord(word).Generation);
        return MemoryError.None;
    }

    /// <summary>Borrows the message for reading.</summary>
    internal MemoryError Read(MessageToken token, WaitLimit wait, out ReadGuard<TPayload> guard)
    {
        MemoryError error = EnterRead(token, wait, out int index);
        guard = error == MemoryError.None ? new ReadGuard<TPayload>(this, ref _messages[index], index, token.Generation) : default;
        return error;
    }

    /// <summary>Borrows the header for reading (the same read lock as <see cref="Read"/>).</summary>
    internal MemoryError PeekHeader(MessageToken token, WaitLimit wait, out HeaderGuard guard)
    {
        MemoryError error = EnterRead(token, wait, out int index);
        guard = error == MemoryError.None ? new HeaderGuard(this, ref _messages[index].Header, index, token.Generation) : default;
        return error;
    }

    /// <summary>Borrows the message exclusively for writing.</summary>
    internal MemoryError Write(MessageToken token, WaitLimit wait, out WriteGuard<TPayload> guard)
    {
        MemoryError error = EnterExclusive(token, wait, MemoryError.StaleToken, MemoryError.AlreadyBorrowed, out int index, out _);
        guard = error == MemoryError.None ? new WriteGuard<TPayload>(this, ref _messages[index], index, token.Generation) : default;
        return error;
    }

    /// <summary>Frees the message: its generation ends (or the slot retires at the last one) and the slot
    /// returns to the free-list.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal MemoryError Free(MessageToken token, WaitLimit wait)
    {
        MemoryError error = EnterExclusive(token, wait, MemoryError.NotAllocated, MemoryError.BorrowActive, out int index, out long entered);
        if (error != MemoryError.None)
        {
            return error;
        }

        // Exclusive and live: drop the message so the manager keeps no reference to the payload.
        _seam.WritePlain(ref _messages[index], default);

        ulong generation = new SlotWord(entered).Generation;
        ulong next = generation + 1;
        _seam.OnWriteExiting(index);
        if (next > SlotWord.MaxGeneration)
        {
            // Generation exhausted (after 2^40 - 1 frees of this slot): retire the slot rather than
            // reuse a generation, so a stale token can never reach a newer message.
            _seam.Store(ref _words[index], SlotWord.Pack(generation, live: false, retired: true, writer: false, readers: 0).Value);
            return MemoryError.None;
        }

        // Release store: the token's generation is now stale for every later check.
        _seam.Store(ref _words[index], SlotWord.Pack(next, live: false, retired: false, writer: false, readers: 0).Value);

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
    internal int[] WriteSequences => _writeSequence;

    /// <inheritdoc cref="SlotWords"/>
    internal Message<TPayload>[] Messages => _messages;

    /// <inheritdoc cref="SlotWords"/>
    internal int[] Links => _freeList.Links;

    /// <inheritdoc cref="SlotWords"/>
    internal ref long HeadWord => ref _freeList.HeadWord;

    /// <inheritdoc cref="SlotWords"/>
    internal ref int AvailableWord => ref _available.Value;
}
