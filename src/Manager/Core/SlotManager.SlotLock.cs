// =================================================================================================
// The per-slot reader/writer lock, and the generation check that is atomic with taking it.
// Per slot, on its own 64-byte line: one 64-bit word (SlotWord: generation low | committed | poisoned | retired |
// live | writer | readers), one epoch word (generation >> 38, shifted left, low bit "wrapping") and a write sequence.
//   Enter read:      w = Load(word); loop { w matches token -> else Refuse; w & ReadBlockMask -> wait or fail;
//                    CAS(w + 1, w); then Load(epoch) == token's, else undo (Add -1) and Refuse }
//   Enter exclusive: the same with WriteBlockMask and CAS(w | Writer, w); undo by Store(w).
//   Exit read: CAS(w - 1, w) while w has a reader of the guard's generation (else: NotBorrowed).
//   A reader's failed CAS backs off briefly (the seam's SlotBackOff): readers of one hot slot stop colliding.
//   Exit write: if w has the writer of the guard's generation: Store(seq, seq + 1), then Store(w without
//   writer, poisoned unless committed). Free (holding exclusive): clear the message, Store(word, next generation).
// Optimistic copy of the header, or of a whole unmanaged message (no lock, no shared write):
//   s = Load(seq); w = Load(word); copy; ReadBarrier;
//   accept iff Load(word) == w (readers aside) and Load(seq) == s; else retry, then AlreadyBorrowed.
// Orderings: CAS and Add are full fences, Store a release, Load an acquire; the read barrier keeps the
//   re-check's loads after the copy. Waiting is the seam's (production: SpinWait; Coyote: a pause).
// Linearization points, the copy's bound, the epoch, what would invalidate it: docs/invariants.md (I5, I6, I8).
// =================================================================================================
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ManagerVerified.Seam;

namespace ManagerVerified.Core;

internal sealed partial class SlotManager<TPayload, TSeam>
{
    /// <summary>The failure a token gets against a consistent pair of slot word <paramref name="word"/> and
    /// epoch <paramref name="epoch"/>, or None when they hold the live message of the token's generation
    /// (Poisoned when it is poisoned and <paramref name="allowPoisoned"/> is false).</summary>
    internal static MemoryError Classify(long word, uint epoch, MessageToken token, MemoryError staleError, bool allowPoisoned)
    {
        UInt128 generation = SlotWord.Join(epoch, new SlotWord(word).LowGeneration);
        UInt128 wanted = token.Generation;
        if (wanted == generation)
        {
            if ((word & SlotWord.LiveBit) != 0)
            {
                return (word & SlotWord.PoisonedBit) != 0 && !allowPoisoned ? MemoryError.Poisoned : MemoryError.None;
            }

            // Same generation, not live: freed into retirement (stale), or never issued (bad).
            return (word & SlotWord.RetiredBit) != 0 ? staleError : MemoryError.BadToken;
        }

        return wanted < generation ? staleError : MemoryError.BadToken;
    }

    /// <summary>Whether <paramref name="word"/> holds the live message of <paramref name="token"/>'s low
    /// generation, not poisoned unless <paramref name="allowPoisoned"/>: the fast path's whole check (the
    /// epoch is checked apart).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Matches(long word, MessageToken token, bool allowPoisoned)
    {
        long mask = allowPoisoned ? SlotWord.LiveBit : SlotWord.LiveBit | SlotWord.PoisonedBit;
        return new SlotWord(word).LowGeneration == token.LowGeneration && (word & mask) == SlotWord.LiveBit;
    }

    /// <summary>The checks that need no shared state: None, BadToken (default, out of range, generation 0)
    /// or ForeignToken (another manager's).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private MemoryError CheckToken(MessageToken token)
    {
        if (token.ManagerId != Id)
        {
            return token.ManagerId == 0 ? MemoryError.BadToken : MemoryError.ForeignToken;
        }

        return (uint)token.Index >= (uint)Capacity || (token.LowGeneration == 0 && token.Epoch == 0)
            ? MemoryError.BadToken
            : MemoryError.None;
    }

    /// <summary>The slow path of every check: reads a consistent (epoch, word) pair (the epoch unchanged
    /// around the word and not wrapping) and classifies the token against it. None means the token does
    /// hold the slot's live message now: the caller retries its fast path.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private MemoryError Refuse(MessageToken token, int index, MemoryError staleError, bool allowPoisoned)
    {
        while (true)
        {
            long before = _seam.Load(ref EpochOf(index));
            if ((before & 1) != 0)
            {
                // A Free is between its epoch's two stores (a few instructions, no user code): wait them out.
                _seam.WaitWhileUnchanged(_state, EpochElement(index), before, WaitLimit.Forever);
                continue;
            }

            long word = _seam.Load(ref WordOf(index));
            if (_seam.Load(ref EpochOf(index)) == before)
            {
                return Classify(word, (uint)(before >> 1), token, staleError, allowPoisoned);
            }
        }
    }

    /// <summary>After a successful enter CAS: whether the slot's epoch is the token's. While the borrow is
    /// held no Free can change it, so a match means the whole generation matched at the CAS.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool EpochMatches(MessageToken token, int index) => _seam.Load(ref EpochOf(index)) == (long)token.Epoch << 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private MemoryError EnterRead(MessageToken token, WaitLimit wait, out int index)
    {
        index = token.Index;
        MemoryError error = CheckToken(token);
        if (error != MemoryError.None)
        {
            return error;
        }

        ref long slot = ref WordOf(index);
        long word = _seam.Load(ref slot);
        int retries = 0;
        while (true)
        {
            if (!Matches(word, token, allowPoisoned: false) || !EpochMatches(token, index))
            {
                error = Refuse(token, index, MemoryError.StaleToken, allowPoisoned: false);
                if (error != MemoryError.None)
                {
                    return error;
                }

                word = _seam.Load(ref slot);
                continue;
            }

            bool full = (word & SlotWord.ReaderMask) == SlotWord.MaxReaders;
            if ((word & SlotWord.ReadBlockMask) != 0 || full)
            {
                if (!wait.Waits || !WaitForChange(index, word, wait))
                {
                    // Busy (or the wait gave up) only if the word is still the one checked with the
                    // epoch: else the pair may straddle an epoch's change (I10), so check again.
                    long again = _seam.Load(ref slot);
                    if (again != word)
                    {
                        word = again;
                        continue;
                    }

                    return !wait.Waits ? (full ? MemoryError.ReaderLimit : MemoryError.AlreadyBorrowed) : MemoryError.Timeout;
                }

                word = _seam.Load(ref slot);
                continue;
            }

            // Reserves one reader place; fails (and re-checks) if a writer, a free or another reader
            // changed the word since it was checked.
            long seen = _seam.CompareExchange(ref slot, word + 1, word);
            if (seen == word)
            {
                if (EpochMatches(token, index))
                {
                    _seam.OnReadEntered(index);
                    return MemoryError.None;
                }

                // The low part matched a later epoch's (2^38 frees since the epoch was checked): give the
                // place back; nothing was read.
                _seam.Add(ref slot, -1);
                return Refuse(token, index, MemoryError.StaleToken, allowPoisoned: false);
            }

            // Another reader (usually) changed the count: back off, so hot-slot readers stop colliding, then
            // load again (what the CAS saw is old by then: a CAS on it would fail again).
            _seam.SlotBackOff(++retries);
            word = _seam.Load(ref slot);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private MemoryError EnterExclusive(MessageToken token, WaitLimit wait, MemoryError staleError, MemoryError busyError, bool allowPoisoned, out int index)
    {
        index = token.Index;
        MemoryError error = CheckToken(token);
        if (error != MemoryError.None)
        {
            return error;
        }

        ref long slot = ref WordOf(index);
        long word = _seam.Load(ref slot);
        while (true)
        {
            if (!Matches(word, token, allowPoisoned) || !EpochMatches(token, index))
            {
                error = Refuse(token, index, staleError, allowPoisoned);
                if (error != MemoryError.None)
                {
                    return error;
                }

                word = _seam.Load(ref slot);
                continue;
            }

            if ((word & SlotWord.WriteBlockMask) != 0)
            {
                if (!wait.Waits || !WaitForChange(index, word, wait))
                {
                    long again = _seam.Load(ref slot); // as in EnterRead: busy only on the checked pair
                    if (again != word)
                    {
                        word = again;
                        continue;
                    }

                    return !wait.Waits ? busyError : MemoryError.Timeout;
                }

                word = _seam.Load(ref slot);
                continue;
            }

            // Takes the slot exclusively; from here no reader, writer or free can CAS this word.
            long seen = _seam.CompareExchange(ref slot, word | SlotWord.WriterBit, word);
            if (seen == word)
            {
                if (EpochMatches(token, index))
                {
                    _seam.OnWriteEntered(index);
                    return MemoryError.None;
                }

                _seam.Store(ref slot, word); // a later epoch's message: give the slot back untouched
                return Refuse(token, index, staleError, allowPoisoned);
            }

            word = seen;
        }
    }

    /// <summary>Waits until the slot word is no longer <paramref name="word"/>: false when the wait gave up
    /// (nothing was taken); a cancelled wait throws.</summary>
    private bool WaitForChange(int index, long word, in WaitLimit wait)
    {
        _seam.OnSlotWait();
        return _seam.WaitWhileUnchanged(_state, WordElement(index), word, wait);
    }

    /// <summary>Whether <paramref name="word"/> (and the epoch) show the exclusive borrow of
    /// <paramref name="token"/>'s generation: nobody else changes the word while it is held.</summary>
    private bool HoldsExclusive(long word, MessageToken token) =>
        (word & SlotWord.WriterBit) != 0 && new SlotWord(word).LowGeneration == token.LowGeneration && EpochMatches(token, token.Index);

    /// <inheritdoc />
    bool ISlotLockOwner.ExitRead(MessageToken token, int ticket)
    {
        int index = token.Index;
        ref long slot = ref WordOf(index);
        long word = _seam.Load(ref slot);
        bool announced = false;
        int retries = 0;
        while (true)
        {
            // Only a read borrow of the guard's generation is released: a copied guard released twice,
            // or a release after the slot moved on, changes nothing (not an add: it could underflow).
            if (new SlotWord(word).LowGeneration != token.LowGeneration || (word & SlotWord.ReaderMask) == 0)
            {
                return false;
            }

            if (!announced)
            {
                if (!EpochMatches(token, index))
                {
                    return false; // a borrow of another epoch holds the slot, not this guard's
                }

                _seam.OnReadExiting(index);
                announced = true;
            }

            // Full fence: the guard's reads of the message complete before a waiting writer can see the
            // count drop. Fails (and re-checks) when another reader entered or left meanwhile.
            long seen = _seam.CompareExchange(ref slot, word - 1, word);
            if (seen == word)
            {
                return true;
            }

            _seam.SlotBackOff(++retries);
            word = _seam.Load(ref slot); // after the back-off, what the CAS saw is old
        }
    }

    /// <inheritdoc />
    bool ISlotLockOwner.CommitWrite(MessageToken token)
    {
        ref long slot = ref WordOf(token.Index);
        long word = _seam.Load(ref slot);
        if (!HoldsExclusive(word, token))
        {
            return false;
        }

        _seam.Store(ref slot, word | SlotWord.CommittedBit);
        return true;
    }

    /// <inheritdoc />
    bool ISlotLockOwner.ExitWrite(MessageToken token, int ticket)
    {
        // Only the exclusive borrow of the guard's generation is released. While it is held nobody else
        // changes the word, so a check followed by the releases is enough.
        long word = _seam.Load(ref WordOf(token.Index));
        if (!HoldsExclusive(word, token))
        {
            return false;
        }

        ReleaseExclusive(token.Index, word);
        return true;
    }

    /// <summary>Ends an exclusive borrow whose word is <paramref name="word"/>: the write is published when
    /// committed (clearing any poison), else the slot is poisoned.</summary>
    private void ReleaseExclusive(int index, long word)
    {
        _seam.OnWriteExiting(index);

        // Bump the slot's write sequence before releasing: an optimistic header copy that overlapped
        // this write then sees either the writer bit (still set at its re-check) or a new sequence.
        // Only the exclusive holder writes the sequence, so a load and a release store suffice.
        // Stryker disable once Arithmetic : the copy only asks whether the sequence changed; - 1 changes it too
        _seam.Store(ref SequenceOf(index), _seam.Load(ref SequenceOf(index)) + 1);
        long released = word & ~(SlotWord.WriterBit | SlotWord.CommittedBit);
        released = (word & SlotWord.CommittedBit) != 0 ? released & ~SlotWord.PoisonedBit : released | SlotWord.PoisonedBit;
        _seam.Store(ref WordOf(index), released); // release: the write (or the poison) is visible with the word
    }

    /// <summary>Copies the header optimistically (<see cref="Copy{TValue, TPart}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal MemoryError CopyHeader(MessageToken token, out MessageHeader header) => Copy<MessageHeader, HeaderPart>(token, out header);

    /// <summary>Copies the whole message optimistically (<see cref="Copy{TValue, TPart}"/>). Only for payloads
    /// without references (the public <c>TryCopy</c> is constrained to unmanaged payloads): a copy of a reference
    /// would share the payload with the writers, and a torn one is only safe to discard when it holds no references.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal MemoryError CopyMessage(MessageToken token, out Message<TPayload> message) => Copy<Message<TPayload>, WholeMessage>(token, out message);

    /// <summary>
    /// Copies a part of the message (<typeparamref name="TPart"/>: the header, or all of it) without taking the lock and without writing any shared cache line: read the
    /// write sequence and the slot word, copy, re-read both; the copy is whole when neither changed
    /// (reader counts aside) and no writer held the slot. Retries a few times, then reports
    /// AlreadyBorrowed; a Free in between turns into StaleToken on the retry.
    /// </summary>
    /// <remarks>Linearization point of a successful copy: the first slot-word load (the header did not
    /// change between it and the re-check).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private MemoryError Copy<TValue, TPart>(MessageToken token, out TValue value)
        where TPart : struct, IMessagePart<TValue>
    {
        int index = token.Index;
        value = default!;
        MemoryError error = CheckToken(token);
        if (error != MemoryError.None)
        {
            return error;
        }

        ref long slot = ref WordOf(index);
        ref long sequence = ref SequenceOf(index);
        for (int attempt = 0; attempt < OptimisticAttempts; attempt++)
        {
            long before = _seam.Load(ref sequence);
            long word = _seam.Load(ref slot);
            if (!Matches(word, token, allowPoisoned: false))
            {
                error = Refuse(token, index, MemoryError.StaleToken, allowPoisoned: false);
                if (error != MemoryError.None)
                {
                    return error;
                }

                continue; // the token is good now: try again
            }

            if ((word & SlotWord.ReadBlockMask) != 0)
            {
                continue; // a writer or a free holds the slot: try again, then give up
            }

            value = _seam.CopyOptimistic(ref TPart.Of(ref MessageOf(index)));
            _seam.ReadBarrier(); // the re-check's loads must not complete before the copy's: else it validates a stale picture
            long after = _seam.Load(ref slot);
            long sequenceAfter = _seam.Load(ref sequence);
            if (((word ^ after) & ~SlotWord.ReaderMask) == 0 && before == sequenceAfter)
            {
                // The epoch once, last: the word did not change, so the epoch can only differ if it did
                // at the first load too (a token of another epoch), or after 2^38 frees in between (I10).
                if (EpochMatches(token, index))
                {
                    _seam.OnOptimisticCopyAccepted(index);
                    return MemoryError.None;
                }

                value = default!;
                error = Refuse(token, index, MemoryError.StaleToken, allowPoisoned: false);
                return error != MemoryError.None ? error : MemoryError.AlreadyBorrowed;
            }
        }

        // Writers kept the slot: AlreadyBorrowed, unless the token is not this slot's live one (its epoch
        // was never checked while the word was held).
        value = default!;
        error = Refuse(token, index, MemoryError.StaleToken, allowPoisoned: false);
        return error != MemoryError.None ? error : MemoryError.AlreadyBorrowed;
    }

    private const int OptimisticAttempts = 4;

    /// <summary>Which part of a message an optimistic copy takes (static, so the JIT compiles one copy per part).</summary>
    internal interface IMessagePart<TValue>
    {
        static abstract ref TValue Of(ref Message<TPayload> message);
    }

    /// <summary>The header.</summary>
    internal readonly struct HeaderPart : IMessagePart<MessageHeader>
    {
        public static ref MessageHeader Of(ref Message<TPayload> message) => ref message.Header;
    }

    /// <summary>The whole message.</summary>
    internal readonly struct WholeMessage : IMessagePart<Message<TPayload>>
    {
        public static ref Message<TPayload> Of(ref Message<TPayload> message) => ref message;
    }
}
