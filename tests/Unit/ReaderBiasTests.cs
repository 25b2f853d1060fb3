using ManagerVerified.Core;
using ManagerVerified.Seam;
using ManagerVerified.Verification;

namespace ManagerVerified.Tests.Unit;

/// <summary>
/// The read-biased path (issue 13; SlotManager.SlotLock.cs): a read-hot slot's readers take reader lanes instead
/// of counting in the slot word, and an exclusive entry revokes the bias and drains the lanes. Each test starts
/// the slot biased by setting its bits, as a reader whose CAS failed would, so nothing depends on timing.
/// </summary>
public sealed class ReaderBiasTests
{
    [Fact]
    public void BiasedRead_TakesALane_NotTheWord_AndLeavesItOnRelease()
    {
        (ConcurrentMemoryManager<long> manager, MessageToken token) = BiasedSlot(payload: 7);
        Assert.True(manager.TryRead(token, out ReadGuard<long> guard, out _));
        Assert.Equal(7, guard.Value.Payload);
        Assert.Equal(0, Word(manager).Readers); // not counted in the word
        Assert.Equal(1, HeldLanes(manager));
        guard.Dispose();
        Assert.Equal(0, HeldLanes(manager));
        Assert.True(Word(manager).IsBiased); // reads alone leave the bias on
    }

    [Fact]
    public void BiasedReaderHeld_TryFreeAndTryWriteAreBusy_TimedFreeTimesOut_ThenFreeWorks()
    {
        (ConcurrentMemoryManager<long> manager, MessageToken token) = BiasedSlot(payload: 1);
        Assert.True(manager.TryPeekHeader(token, out HeaderGuard header, out _));

        Assert.False(manager.TryFree(token, out MemoryError free));
        Assert.Equal(MemoryError.BorrowActive, free);
        SlotWord revoked = Word(manager);
        Assert.False(revoked.IsBiased); // revoked: no new lane entries
        Assert.True(revoked.HasLanes); // the lane still holds the reader: the next exclusive entry drains again
        Assert.False(revoked.HasWriter);

        Assert.False(manager.TryWrite(token, out _, out MemoryError write));
        Assert.Equal(MemoryError.AlreadyBorrowed, write);
        Assert.False(manager.TryFree(token, TimeSpan.FromMilliseconds(1), out MemoryError timed));
        Assert.Equal(MemoryError.Timeout, timed);

        // A new reader counts in the word while the bias is revoked.
        Assert.True(manager.TryRead(token, out ReadGuard<long> counted, out _));
        Assert.Equal(1, Word(manager).Readers);
        counted.Dispose();
        header.Dispose();

        Assert.True(manager.TryFree(token, out _));
        Assert.False(manager.TryRead(token, out _, out MemoryError stale));
        Assert.Equal(MemoryError.StaleToken, stale);
    }

    [Fact]
    public void WriteOnABiasedSlot_EndsTheBias_SoItCanBeBiasedAgain()
    {
        (ConcurrentMemoryManager<long> manager, MessageToken token) = BiasedSlot(payload: 1);
        using (WriteGuard<long> guard = manager.Write(token))
        {
            guard.Value.Payload = 2;
            guard.Commit();
        }

        SlotWord word = Word(manager);
        Assert.False(word.IsBiased);
        Assert.False(word.HasLanes); // drained: the next exclusive entry need not scan, and readers may bias it again
        Assert.Equal(0, word.Readers);
        Assert.True(manager.TryRead(token, out ReadGuard<long> read, out _));
        Assert.Equal(2, read.Value.Payload);
        read.Dispose();
    }

    [Fact]
    public void BiasedGuard_ACopyReleasedAfterIt_IsRefused()
    {
        (ConcurrentMemoryManager<long> manager, MessageToken token) = BiasedSlot(payload: 1);
        Assert.True(manager.TryRead(token, out ReadGuard<long> guard, out _));
#pragma warning disable MV0001 // the copy is the point: its release must be refused
        ReadGuard<long> copy = guard;
#pragma warning restore MV0001
        guard.Dispose();
        bool refused = false;
        try
        {
            copy.Dispose();
        }
        catch (MemoryManagerException e) when (e.Error == MemoryError.NotBorrowed)
        {
            refused = true;
        }

        Assert.True(refused);
        Assert.Equal(0, HeldLanes(manager));
        Assert.True(manager.TryFree(token, out _)); // nothing was taken from anyone
    }

    [Fact]
    public void DiagnosticMode_TracksAndReleasesABiasedGuard()
    {
        var manager = new ConcurrentMemoryManager<long>(1, new ConcurrentMemoryManagerOptions { DiagnosticMode = true });
        MessageToken token = manager.Store(new Message<long>(default, 3));
        Bias(manager);
        using (ReadGuard<long> guard = manager.Read(token))
        {
            Assert.Equal(1, HeldLanes(manager));
            Assert.Equal(3, guard.Value.Payload);
        }

        Assert.Equal(0, HeldLanes(manager));
        manager.Free(token);
    }

    [Fact]
    public void ARevokedSlot_IsNotBiasedAgain_UntilAnExclusiveEntryHasDrainedTheLanes()
    {
        // A reader whose CAS fails biases the slot, but not while Ln is set (a revoke is draining the lanes: a bias
        // set again behind the drain's scan lets a reader into a lane the drain has passed, and the word can come
        // back to the value the drain's last CAS expects). The seam fails the reader's first CAS, as a collision would.
        SlotManager<long, CollidingSeam> core = VerificationManagers.Create<long, CollidingSeam>(1, default);
        Assert.Equal(MemoryError.None, core.Store(new Message<long>(default, 1), out MessageToken token));
        core.SlotWordAt(0) |= SlotWord.LanesBit; // revoked, not yet drained: Ln without Bs
        CollidingSeam.FailNextCas = true;
        Assert.Equal(MemoryError.None, core.Read(token, WaitLimit.None, out ReadGuard<long> guard));
        Assert.False(CollidingSeam.FailNextCas); // the collision happened
        Assert.False(new SlotWord(core.SlotWordAt(0)).IsBiased);
        Assert.Equal(1, new SlotWord(core.SlotWordAt(0)).Readers); // counted in the word
        guard.Dispose();

        // Drained (Ln clear): the same collision biases the slot, and the reader takes a lane.
        core.SlotWordAt(0) &= ~SlotWord.LanesBit;
        CollidingSeam.FailNextCas = true;
        Assert.Equal(MemoryError.None, core.Read(token, WaitLimit.None, out guard));
        SlotWord biased = new(core.SlotWordAt(0));
        Assert.True(biased.IsBiased && biased.HasLanes);
        Assert.Equal(0, biased.Readers);
        guard.Dispose();
    }

    private static (ConcurrentMemoryManager<long> Manager, MessageToken Token) BiasedSlot(long payload)
    {
        var manager = new ConcurrentMemoryManager<long>(1);
        MessageToken token = manager.Store(new Message<long>(default, payload));
        Bias(manager);
        return (manager, token);
    }

    private static void Bias(ConcurrentMemoryManager<long> manager) =>
        manager.Core.SlotWordAt(0) |= SlotWord.BiasBit | SlotWord.LanesBit;

    private static SlotWord Word(ConcurrentMemoryManager<long> manager) => new(Volatile.Read(ref manager.Core.SlotWordAt(0)));

    private static int HeldLanes(ConcurrentMemoryManager<long> manager)
    {
        int held = 0;
        for (int lane = 0; lane < manager.Core.Lanes; lane++)
        {
            held += Volatile.Read(ref manager.Core.LaneAt(lane)) != 0 ? 1 : 0;
        }

        return held;
    }

    /// <summary>The production seam, except that the next CAS after <see cref="FailNextCas"/> is set fails without
    /// writing (as if another reader had changed the word in between).</summary>
    private readonly struct CollidingSeam : IConcurrencySeam
    {
        [ThreadStatic]
        internal static bool FailNextCas;

        public long CompareExchange(ref long location, long value, long comparand)
        {
            if (FailNextCas)
            {
                FailNextCas = false;
                return comparand + 1;
            }

            return default(ProductionSeam).CompareExchange(ref location, value, comparand);
        }

        public int ShardHint() => 0;

        public long Load(ref long location) => default(ProductionSeam).Load(ref location);

        public int Load(ref int location) => default(ProductionSeam).Load(ref location);

        public void Store(ref long location, long value) => default(ProductionSeam).Store(ref location, value);

        public void Store(ref int location, int value) => default(ProductionSeam).Store(ref location, value);

        public long Add(ref long location, long delta) => default(ProductionSeam).Add(ref location, delta);

        public int Add(ref int location, int delta) => default(ProductionSeam).Add(ref location, delta);

        public void WritePlain<T>(ref T location, T value) => location = value;

        public T CopyOptimistic<T>(ref T source) => source;

        public void ReadBarrier() => default(ProductionSeam).ReadBarrier();

        public bool WaitWhileUnchanged(long[] words, int index, long observed, in WaitLimit limit) => default(ProductionSeam).WaitWhileUnchanged(words, index, observed, limit);

        public void BackOff(int attempt)
        {
        }

        public void SlotBackOff(int attempt)
        {
        }

        public void OnSlotTaken(int index, int installedTop, ref int link)
        {
        }

        public void OnSlotReturning(int index)
        {
        }

        public void OnAvailableChanged(int shard, int value)
        {
        }

        public void OnReadEntered(int index)
        {
        }

        public void OnReadExiting(int index)
        {
        }

        public void OnWriteEntered(int index)
        {
        }

        public void OnWriteExiting(int index)
        {
        }

        public void OnOptimisticCopyAccepted(int index)
        {
        }

        public void OnSlotWait()
        {
        }
    }
}
