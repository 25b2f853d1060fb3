using ManagerVerified.Core;

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
}
