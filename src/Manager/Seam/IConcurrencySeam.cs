namespace ManagerVerified.Seam;

/// <summary>
/// The one seam through which the manager's core touches shared memory, waits, and reports what it
/// did. Every atomic operation on the free-list head, the next links, the available count and the
/// slot words, every wait for a slot lock, the slot lock's admission rules and the generation step
/// go through it.
/// </summary>
/// <remarks>
/// <para>
/// The core is generic over a <c>struct</c> implementing this interface
/// (<c>where TSeam : struct, IConcurrencySeam</c>), the pattern of dotnet/runtime's
/// <c>SpanHelpers</c> <c>INegator</c>: the JIT compiles one copy of the core per seam type, so
/// <see cref="ProductionSeam"/>'s members inline to the bare <see cref="Interlocked"/> and
/// <see cref="Volatile"/> calls and its hooks to nothing.
/// </para>
/// <para>
/// The model-checking implementation (in ManagerVerified.Spec) puts a Coyote scheduling point before
/// every shared access, pauses waiters with <c>Operation.PauseUntil</c> instead of spinning, feeds the
/// hooks to the specification monitors, and can plant one bug at a time. The core code it checks is
/// the production core: there is no other copy and no <c>#if</c>.
/// </para>
/// <para>
/// Orderings: every member here is at least as strong as the production implementation documents;
/// the core relies on <see cref="Load(ref long)"/> being an acquire and <see cref="Store(ref long, long)"/>
/// a release, and on the compare-exchange and add members being full fences.
/// </para>
/// </remarks>
internal interface IConcurrencySeam
{
    // ---- Atomics -------------------------------------------------------------------------

    /// <summary>Acquire load of a 64-bit word (the head or a slot word).</summary>
    long Load(ref long location);

    /// <summary>Acquire load of a 32-bit word (a next link or the available count).</summary>
    int Load(ref int location);

    /// <summary>Release store of a 64-bit slot word.</summary>
    void Store(ref long location, long value);

    /// <summary>Release store of a 32-bit next link.</summary>
    void Store(ref int location, int value);

    /// <summary>Compare-exchange on a slot word; returns the value seen.</summary>
    long CompareExchange(ref long location, long value, long comparand);

    /// <summary>Compare-exchange on the free-list head; returns the value seen. Separate from the
    /// slot-word CAS so a checker can replace exactly this one (planted bugs 3 and 4).</summary>
    long CompareExchangeHead(ref long head, long value, long comparand);

    /// <summary>Atomic add on a slot word; returns the new value.</summary>
    long Add(ref long location, long delta);

    /// <summary>Atomic add on the available count (its only 32-bit add); returns the new value.</summary>
    int AddToCount(ref int count, int delta);

    /// <summary>An optimistic (unlocked) copy of shared data, ordered before every later load (a read
    /// barrier); its result is only used after a re-check. A model checker interleaves before it.</summary>
    T CopyOptimistic<T>(ref T source);

    // ---- Waiting -------------------------------------------------------------------------

    /// <summary>Blocks until <c>words[index]</c> no longer equals <paramref name="observed"/>.
    /// Production spins with <see cref="SpinWait"/>; a model checker pauses the operation until
    /// another one changes the word, so a leaked lock is reported as a deadlock, not a hang.</summary>
    void WaitWhileUnchanged(long[] words, int index, long observed);

    // ---- Slot lock admission and generations ----------------------------------------------

    /// <summary>Slot-word bits that keep a reader out. Production: the writer bit.</summary>
    long ReadBlockMask { get; }

    /// <summary>Slot-word bits that keep a writer or a free out. Production: the writer bit and the reader count.</summary>
    long WriteBlockMask { get; }

    /// <summary>The generation a slot takes when its message is freed. Production: <paramref name="generation"/> + 1.</summary>
    ulong NextGeneration(ulong generation);

    /// <summary>Whether an optimistic header copy re-checks the slot after copying. Production: true.</summary>
    bool RecheckOptimisticCopy { get; }

    // ---- Observation hooks (empty in production) -------------------------------------------

    /// <summary>After the successful head CAS that popped <paramref name="index"/> and installed
    /// <paramref name="installedTop"/> (slot + 1, or 0). <paramref name="next"/> is the link array, which
    /// the popping thread now owns at <paramref name="index"/>.</summary>
    void OnSlotTaken(int index, int installedTop, int[] next);

    /// <summary>Before <paramref name="index"/> is pushed back on the free-list (its message already cleared).</summary>
    void OnSlotReturning(int index);

    /// <summary>After the available count changed to <paramref name="value"/>.</summary>
    void OnAvailableChanged(int value);

    /// <summary>After a read or header guard was taken on <paramref name="index"/>.</summary>
    void OnReadEntered(int index);

    /// <summary>Before a read or header guard on <paramref name="index"/> is released.</summary>
    void OnReadExiting(int index);

    /// <summary>After exclusive access (a write guard or a free) was taken on <paramref name="index"/>.</summary>
    void OnWriteEntered(int index);

    /// <summary>Before exclusive access on <paramref name="index"/> is released.</summary>
    void OnWriteExiting(int index);

    /// <summary>A head CAS failed and its pop or push retries for the <paramref name="attempt"/>th time
    /// (slow path only). Production backs off here, so two threads stop colliding on the head; a model
    /// checker needs no backoff.</summary>
    void OnHeadCasRetry(int attempt);

    /// <summary>A blocking borrow or free is about to wait for a slot (slow path only).</summary>
    void OnSlotWait();
}
