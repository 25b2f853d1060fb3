// =================================================================================================
// The per-slot reader/writer lock, and the generation check that is atomic with taking it.
// One 64-bit word per slot (SlotWord): generation | retired | live | writer | readers.
//   Enter read:      w = Load(word); loop { Classify(w); w & ReadBlockMask -> wait or fail; CAS(w + 1, w) }
//   Enter exclusive: w = Load(word); loop { Classify(w); w & WriteBlockMask -> wait or fail; CAS(w | Writer, w) }
//   Exit read: CAS(w - 1, w) while w has a reader of the guard's generation (else: NotBorrowed).
//   Exit write: if w has the writer of the guard's generation: Store(seq, seq + 1), then Add(word, -Writer).
//   Free (holding exclusive): clear the message, then Store(word, next generation, not live).
// The generation check and the lock are one CAS on one word: a Free in between fails the CAS.
// Optimistic header copy (no lock, no shared write): s = Load(seq); w = Load(word); copy; ReadBarrier;
//   accept iff Load(word) == w (readers aside) and Load(seq) == s; else retry, then AlreadyBorrowed.
// Orderings: CAS and Add are full fences, Store a release, Load an acquire; the read barrier keeps the
//   re-check's loads after the copy. Waiting is the seam's (production: SpinWait; Coyote: a pause).
// Linearization points, the copy's bound, waiting, what would invalidate it: docs/invariants.md (I5, I6).
// =================================================================================================
using System.Runtime.CompilerServices;
using ManagerVerified.Seam;

namespace ManagerVerified.Core;

internal sealed partial class SlotManager<TPayload, TSeam>
{
    /// <summary>The failure a token gets against slot word <paramref name="word"/>, or None when the
    /// word holds the live message of the token's generation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static MemoryError Classify(long word, ulong tokenGeneration, MemoryError staleError)
    {
        ulong generation = new SlotWord(word).Generation;
        if (tokenGeneration == generation)
        {
            if ((word & SlotWord.LiveBit) != 0)
            {
                return MemoryError.None;
            }

            // Same generation, not live: freed into retirement (stale), or never issued (bad).
            return (word & SlotWord.RetiredBit) != 0 ? staleError : MemoryError.BadToken;
        }

        return tokenGeneration < generation ? staleError : MemoryError.BadToken;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private MemoryError EnterRead(MessageToken token, WaitLimit wait, out int index)
    {
        index = token.Index;
        if (token.Generation == 0 || (uint)index >= (uint)_words.Length)
        {
            return MemoryError.BadToken;
        }

        ref long slot = ref _words[index];
        long word = _seam.Load(ref slot);
        while (true)
        {
            MemoryError error = Classify(word, token.Generation, MemoryError.StaleToken);
            if (error != MemoryError.None)
            {
                return error;
            }

            bool full = (word & SlotWord.ReaderMask) == SlotWord.MaxReaders;
            if ((word & SlotWord.ReadBlockMask) != 0 || full)
            {
                if (!wait.Waits)
                {
                    return full ? MemoryError.ReaderLimit : MemoryError.AlreadyBorrowed;
                }

                _seam.OnSlotWait();
                if (!_seam.WaitWhileUnchanged(_words, index, word, wait))
                {
                    return MemoryError.Timeout; // the wait gave up: nothing was taken
                }

                word = _seam.Load(ref slot);
                continue;
            }

            // Reserves one reader place; fails (and re-checks) if a writer, a free or another reader
            // changed the word since it was classified.
            long seen = _seam.CompareExchange(ref slot, word + 1, word);
            if (seen == word)
            {
                _seam.OnReadEntered(index);
                return MemoryError.None;
            }

            word = seen;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private MemoryError EnterExclusive(MessageToken token, WaitLimit wait, MemoryError staleError, MemoryError busyError, out int index, out long entered)
    {
        index = token.Index;
        entered = 0;
        if (token.Generation == 0 || (uint)index >= (uint)_words.Length)
        {
            return MemoryError.BadToken;
        }

        ref long slot = ref _words[index];
        long word = _seam.Load(ref slot);
        while (true)
        {
            MemoryError error = Classify(word, token.Generation, staleError);
            if (error != MemoryError.None)
            {
                return error;
            }

            if ((word & SlotWord.WriteBlockMask) != 0)
            {
                if (!wait.Waits)
                {
                    return busyError;
                }

                _seam.OnSlotWait();
                if (!_seam.WaitWhileUnchanged(_words, index, word, wait))
                {
                    return MemoryError.Timeout; // the wait gave up: nothing was taken
                }

                word = _seam.Load(ref slot);
                continue;
            }

            // Takes the slot exclusively; from here no reader, writer or free can CAS this word.
            entered = word | SlotWord.WriterBit;
            long seen = _seam.CompareExchange(ref slot, entered, word);
            if (seen == word)
            {
                _seam.OnWriteEntered(index);
                return MemoryError.None;
            }

            word = seen;
        }
    }

    /// <inheritdoc />
    bool ISlotLockOwner.ExitRead(int index, ulong generation)
    {
        ref long slot = ref _words[index];
        long word = _seam.Load(ref slot);
        bool announced = false;
        while (true)
        {
            // Only a read borrow of the guard's generation is released: a copied guard released twice,
            // or a release after the slot moved on, changes nothing (not an add: it could underflow).
            if (new SlotWord(word).Generation != generation || (word & SlotWord.ReaderMask) == 0)
            {
                return false;
            }

            if (!announced)
            {
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

            word = seen;
        }
    }

    /// <inheritdoc />
    bool ISlotLockOwner.ExitWrite(int index, ulong generation)
    {
        // Only the exclusive borrow of the guard's generation is released. While it is held nobody else
        // changes the word, so a check followed by the releases is enough.
        long word = _seam.Load(ref _words[index]);
        if ((word & SlotWord.WriterBit) == 0 || new SlotWord(word).Generation != generation)
        {
            return false;
        }

        _seam.OnWriteExiting(index);

        // Bump the slot's write sequence before releasing: an optimistic header copy that overlapped
        // this write then sees either the writer bit (still set at its re-check) or a new sequence.
        // Only the exclusive holder writes the sequence, so a load and a release store suffice.
        // Stryker disable once Arithmetic : the copy only asks whether the sequence changed; - 1 changes it too
        _seam.Store(ref _writeSequence[index], _seam.Load(ref _writeSequence[index]) + 1);
        _seam.Add(ref _words[index], -SlotWord.WriterBit);
        return true;
    }

    /// <summary>
    /// Copies the header without taking the lock and without writing any shared cache line: read the
    /// write sequence and the slot word, copy, re-read both; the copy is whole when neither changed
    /// (reader counts aside) and no writer held the slot. Retries a few times, then reports
    /// AlreadyBorrowed; a Free in between turns into StaleToken on the retry.
    /// </summary>
    /// <remarks>Linearization point of a successful copy: the first slot-word load (the header did not
    /// change between it and the re-check).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal MemoryError CopyHeader(MessageToken token, out MessageHeader header)
    {
        int index = token.Index;
        header = default;
        if (token.Generation == 0 || (uint)index >= (uint)_words.Length)
        {
            return MemoryError.BadToken;
        }

        ref long slot = ref _words[index];
        ref int sequence = ref _writeSequence[index];
        for (int attempt = 0; attempt < OptimisticAttempts; attempt++)
        {
            int before = _seam.Load(ref sequence);
            long word = _seam.Load(ref slot);
            MemoryError error = Classify(word, token.Generation, MemoryError.StaleToken);
            if (error != MemoryError.None)
            {
                return error;
            }

            if ((word & SlotWord.ReadBlockMask) != 0)
            {
                continue; // a writer or a free holds the slot: try again, then give up
            }

            header = _seam.CopyOptimistic(ref _messages[index].Header);
            _seam.ReadBarrier(); // the re-check's loads must not complete before the copy's: else it validates a stale picture
            long after = _seam.Load(ref slot);
            int sequenceAfter = _seam.Load(ref sequence);
            if (((word ^ after) & ~SlotWord.ReaderMask) == 0 && before == sequenceAfter)
            {
                _seam.OnOptimisticCopyAccepted(index);
                return MemoryError.None;
            }
        }

        header = default;
        return MemoryError.AlreadyBorrowed;
    }

    private const int OptimisticAttempts = 4;
}
