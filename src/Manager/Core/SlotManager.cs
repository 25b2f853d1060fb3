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
internal sealed partial class SlotManager<TPayload, TSeam> : IMemoryManager<TPayload>, ISlotLockOwner
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

    /// <inheritdoc />
    public int Capacity => _words.Length;

    /// <inheritdoc />
    public int Available => Volatile.Read(ref _available.Value);

    /// <inheritdoc />
    public MemoryClass MemoryClass { get; }

    internal HeadLayout Layout => _freeList.Layout;

    // ---- Store ----------------------------------------------------------------------------------

    /// <inheritdoc />
    public MessageToken Store(Message<TPayload> message)
    {
        if (!TryStore(message, out MessageToken token, out MemoryError error))
        {
            Throw(error);
        }

        return token;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryStore(Message<TPayload> message, out MessageToken token, out MemoryError error)
    {
        if (!_freeList.TryPop(out int index))
        {
            token = default;
            error = MemoryError.NoFreeSlots;
            return false;
        }

        _seam.OnAvailableChanged(_seam.Add(ref _available.Value, -1));

        // We own the slot: it is off the list and not live, so no token can lock it and nobody CASes
        // its word. Write the message, then publish it with a release store of the live bit.
        ref long slot = ref _words[index];
        long word = _seam.Load(ref slot);
        _seam.WritePlain(ref _messages[index], message);
        _seam.Store(ref slot, word | SlotWord.LiveBit);

        token = new MessageToken(index, new SlotWord(word).Generation);
        error = MemoryError.None;
        return true;
    }

    // ---- Read / PeekHeader ----------------------------------------------------------------------

    /// <inheritdoc />
    public ReadGuard<TPayload> Read(MessageToken token)
    {
        MemoryError error = EnterRead(token, wait: true, out int index);
        if (error != MemoryError.None)
        {
            Throw(error);
        }

        return new ReadGuard<TPayload>(this, ref _messages[index], index);
    }

    /// <inheritdoc />
    public bool TryRead(MessageToken token, out ReadGuard<TPayload> guard, out MemoryError error)
    {
        error = EnterRead(token, wait: false, out int index);
        if (error != MemoryError.None)
        {
            guard = default;
            return false;
        }

        guard = new ReadGuard<TPayload>(this, ref _messages[index], index);
        return true;
    }

    /// <inheritdoc />
    public HeaderGuard PeekHeader(MessageToken token)
    {
        MemoryError error = EnterRead(token, wait: true, out int index);
        if (error != MemoryError.None)
        {
            Throw(error);
        }

        return new HeaderGuard(this, ref _messages[index].Header, index);
    }

    /// <inheritdoc />
    public bool TryPeekHeader(MessageToken token, out HeaderGuard guard, out MemoryError error)
    {
        error = EnterRead(token, wait: false, out int index);
        if (error != MemoryError.None)
        {
            guard = default;
            return false;
        }

        guard = new HeaderGuard(this, ref _messages[index].Header, index);
        return true;
    }

    /// <inheritdoc />
    public bool TryCopyHeader(MessageToken token, out MessageHeader header, out MemoryError error)
    {
        error = TryCopyHeaderCore(token, out header);
        return error == MemoryError.None;
    }

    // ---- Write ----------------------------------------------------------------------------------

    /// <inheritdoc />
    public WriteGuard<TPayload> Write(MessageToken token)
    {
        MemoryError error = EnterExclusive(token, wait: true, MemoryError.StaleToken, MemoryError.AlreadyBorrowed, out int index, out _);
        if (error != MemoryError.None)
        {
            Throw(error);
        }

        return new WriteGuard<TPayload>(this, ref _messages[index], index);
    }

    /// <inheritdoc />
    public bool TryWrite(MessageToken token, out WriteGuard<TPayload> guard, out MemoryError error)
    {
        error = EnterExclusive(token, wait: false, MemoryError.StaleToken, MemoryError.AlreadyBorrowed, out int index, out _);
        if (error != MemoryError.None)
        {
            guard = default;
            return false;
        }

        guard = new WriteGuard<TPayload>(this, ref _messages[index], index);
        return true;
    }

    // ---- Free -----------------------------------------------------------------------------------

    /// <inheritdoc />
    public void Free(MessageToken token)
    {
        MemoryError error = FreeCore(token, wait: true);
        if (error != MemoryError.None)
        {
            Throw(error);
        }
    }

    /// <inheritdoc />
    public bool TryFree(MessageToken token, out MemoryError error)
    {
        error = FreeCore(token, wait: false);
        return error == MemoryError.None;
    }

    /// <summary>Free (waiting for borrows) or TryFree; returns the error instead of throwing it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal MemoryError FreeCore(MessageToken token, bool wait)
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

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(MemoryError error) => throw new MemoryManagerException(error);

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

    /// <summary>A consistent picture of the manager. Only meaningful when no operation is in flight.</summary>
    internal QuiescentSnapshot SnapshotQuiescent()
    {
        var freeList = new List<int>();
        int walked = _freeList.WalkQuiescent(freeList.Add, _words.Length);
        var words = new SlotWord[_words.Length];
        for (int i = 0; i < words.Length; i++)
        {
            words[i] = new SlotWord(Volatile.Read(ref _words[i]));
        }

        return new QuiescentSnapshot(Capacity, Volatile.Read(ref _available.Value), freeList.ToArray(), walked < 0, words, _freeList.HeadValueQuiescent);
    }
}

/// <summary>What <see cref="SlotManager{TPayload, TSeam}.SnapshotQuiescent"/> saw.</summary>
/// <param name="Capacity">The capacity.</param>
/// <param name="Available">The available count.</param>
/// <param name="FreeList">The free-list, top first (cut at Capacity entries when cyclic).</param>
/// <param name="FreeListTooLong">True when walking the list took more than Capacity steps (a cycle or a duplicate).</param>
/// <param name="Words">Every slot word.</param>
/// <param name="Head">The raw head word.</param>
internal sealed record QuiescentSnapshot(int Capacity, int Available, int[] FreeList, bool FreeListTooLong, SlotWord[] Words, long Head)
{
    internal int LiveCount => Words.Count(w => w.IsLive);

    internal int RetiredCount => Words.Count(w => w.IsRetired);
}
