// =================================================================================================
// The per-slot reader/writer lock, and the generation check that is atomic with taking it. Per slot, on its own
// line: the word (SlotWord), the epoch (generation >> 38, shifted; low bit "wrapping") and the hold sequence.
//   Enter read:      w = Load(word); loop { w matches token, else Refuse; blocked -> fail, give up or wait (the limit
//                    checked every round); CAS(w + 1, w); then Load(epoch) == token's, else undo (Add -1), Refuse }
//   Enter exclusive: the same with WriteBlockMask and CAS(w | Wr, w) (ticket 0). A write guard then takes the next
//                    hold number h (Store(seq, seq + 1)) and stamps TicketOf(h) (Store(word)); a Replace takes h only.
//   Exit read:       CAS(w - 1, w) while w holds readers of the guard's generation (else NotBorrowed).
//   Exit write, commit: only while Load(seq) == h and the word is the hold's (ticket included): a CAS claims the
//                    release (ticket -> 0) or sets Cm. A copy of a guard matches no other hold (I5: the bound).
// Optimistic copy (no lock, no shared write): s = Load(seq); w = Load(word); copy; ReadBarrier;
//   accept iff Load(word) == w (readers aside) and Load(seq) == s. Refuse reads (epoch, word, epoch) and never waits.
// Orderings: CAS and Add are full fences, Store a release, Load an acquire; the read barrier keeps the re-check's
//   loads after the copy. Proofs, bounds, linearization points: docs/invariants.md (I5, I6, I10).
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

    /// <summary>The slow path of every check: reads a consistent (epoch, word) pair (the same epoch word before and
    /// after the word) and classifies the token against it. None means the token does hold the slot's live message
    /// now: the caller retries its fast path. Never waits: while a Free crosses an epoch (the epoch word marked
    /// wrapping) the word itself says which side it is on.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private MemoryError Refuse(MessageToken token, int index, MemoryError staleError, bool allowPoisoned)
    {
        while (true)
        {
            long before = _seam.Load(ref EpochOf(index));
            long word = _seam.Load(ref WordOf(index));
            if (_seam.Load(ref EpochOf(index)) != before)
            {
                continue; // a Free crossed the epoch between the loads (once per 2^38 frees): read the pair again
            }

            // Wrapping: a Free holds the last low generation of the epoch and is between its epoch's two stores.
            // Until it stores the word the word is its hold (the old epoch's); after, the next epoch's first low
            // generation (0), which nothing else writes before the Free's last store (I10).
            uint epoch = (uint)(before >> 1);
            if ((before & 1) != 0 && new SlotWord(word).LowGeneration == 0)
            {
                epoch++;
            }

            return Classify(word, epoch, token, staleError, allowPoisoned);
        }
    }

    /// <summary>Whether the slot's epoch is the token's, the wrapping mark aside: while a Free crosses from epoch E the
    /// word is its hold of E's last low generation until the word is stored with E + 1's first (I10), so a word
    /// that matches the token's low generation is of epoch E then. After a successful enter CAS no Free can change
    /// the epoch while the borrow is held, so a match means the whole generation matched at the CAS.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool EpochMatches(MessageToken token, int index) => (_seam.Load(ref EpochOf(index)) & ~1L) == (long)token.Epoch << 1;

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

            // Full: every reader place taken. Not while an exclusive holder has the slot: the reader bits are its ticket,
            // which reaches MaxReaders once every 2^20 write holds (then a Try read is AlreadyBorrowed, as it is busy).
            bool full = (word & (SlotWord.ReaderMask | SlotWord.WriterBit)) == SlotWord.MaxReaders;
            if ((word & SlotWord.ReadBlockMask) != 0 || full)
            {
                if (!wait.Waits || wait.GivesUpNow() || !WaitForChange(index, word, wait))
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

    /// <summary>Takes the slot exclusively for <paramref name="token"/>: on None, <paramref name="held"/> is the word
    /// as taken (the writer bit set, ticket 0: no guard's copy matches it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private MemoryError EnterExclusive(MessageToken token, WaitLimit wait, MemoryError staleError, MemoryError busyError, bool allowPoisoned, out int index, out long held)
    {
        index = token.Index;
        held = 0;
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
                if (!wait.Waits || wait.GivesUpNow() || !WaitForChange(index, word, wait))
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

            // Takes the slot exclusively; from here no reader, writer or free can CAS this word, and no guard's
            // copy either (its hold's ticket is never 0).
            long seen = _seam.CompareExchange(ref slot, word | SlotWord.WriterBit, word);
            if (seen == word)
            {
                if (EpochMatches(token, index))
                {
                    _seam.OnWriteEntered(index);
                    held = word | SlotWord.WriterBit;
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

    /// <summary>Begins a hold that may change the message (a write guard's or a Replace's): the slot's next hold
    /// number, stored before any write of the message, so an optimistic copy that overlaps the hold sees it change
    /// (only the exclusive holder writes the sequence: a load and a release store suffice).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long BeginChange(int index)
    {
        long hold = _seam.Load(ref SequenceOf(index)) + 1;
        _seam.Store(ref SequenceOf(index), hold);
        return hold;
    }

    /// <summary>The word of the write guard's hold <paramref name="hold"/> of <paramref name="token"/> (a write enters
    /// only a live, unpoisoned word without readers): without the committed bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long HeldWord(MessageToken token, long hold) =>
        (long)(token.LowGeneration << SlotWord.GenerationShift) | SlotWord.LiveBit | SlotWord.WriterBit | SlotWord.TicketOf(hold);

    /// <summary>The current word while it is the write guard's hold <paramref name="hold"/> of <paramref name="token"/>
    /// (committed or not), else 0: the slot's sequence is still that hold's number (no later write or Replace has
    /// begun; hold numbers never repeat), then the word is the hold's, ticket included. Between the sequence load and
    /// the caller's CAS a later hold could have the same word only after 2^20 holds of this message (I5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long WordOfHold(MessageToken token, long hold)
    {
        int index = token.Index;
        if (_seam.Load(ref SequenceOf(index)) != hold)
        {
            return 0;
        }

        long word = _seam.Load(ref WordOf(index));
        return (word & ~SlotWord.CommittedBit) == HeldWord(token, hold) ? word : 0;
    }

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
            // Only a read borrow of the guard's generation is released: a copied guard released twice, or a
            // release after the slot moved on, changes nothing (not an add: it could underflow). While an exclusive
            // holder has the slot no reader is inside (the reader bits are its ticket then).
            if (new SlotWord(word).LowGeneration != token.LowGeneration || (word & SlotWord.ReaderMask) == 0 || (word & SlotWord.WriterBit) != 0)
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
    bool ISlotLockOwner.CommitWrite(MessageToken token, long hold)
    {
        while (true)
        {
            long word = WordOfHold(token, hold);
            if (word == 0)
            {
                return false;
            }

            // A CAS, not a store: between the check and here a copy may have released the hold, and a store would
            // overwrite whatever came after (the next reader's count, another hold).
            if ((word & SlotWord.CommittedBit) != 0
                || _seam.CompareExchange(ref WordOf(token.Index), word | SlotWord.CommittedBit, word) == word)
            {
                return true;
            }
        }
    }

    /// <inheritdoc />
    bool ISlotLockOwner.ExitWrite(MessageToken token, long hold, int ticket)
    {
        while (true)
        {
            long word = WordOfHold(token, hold);
            if (word == 0)
            {
                return false;
            }

            // Claims the release: the ticket goes to 0, which no guard matches, so of the guard and its copies
            // exactly one releases; fails (and re-checks) when another claimed it or committed first.
            long claimed = word & ~SlotWord.TicketMask;
            if (_seam.CompareExchange(ref WordOf(token.Index), claimed, word) == word)
            {
                ReleaseExclusive(token.Index, claimed);
                return true;
            }
        }
    }

    /// <summary>Ends an exclusive hold whose word is <paramref name="word"/> (its ticket 0: only this caller can
    /// change it now): the write is published when committed (clearing any poison), else the slot is poisoned.</summary>
    private void ReleaseExclusive(int index, long word)
    {
        _seam.OnWriteExiting(index);
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
