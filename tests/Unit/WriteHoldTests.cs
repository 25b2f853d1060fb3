using ManagerVerified.Core;
using ManagerVerified.Seam;

namespace ManagerVerified.Tests.Unit;

/// <summary>
/// Every exclusive hold is its own (issue 25): a write guard's hold has a number and stamps a ticket into the slot
/// word, so a copy of the guard, released or committed on any thread, ends nothing but its own hold, and only as that
/// hold's first release. The interleavings are the model checker's (the copy-races scenario); these tests pin the
/// rules one at a time, through the ticket's wrap, and on real threads through the public API.
/// </summary>
public sealed class WriteHoldTests
{
    [Fact]
    public void AWriteHold_StampsItsTicket_AndAReleaseClearsItBeforeTheWordIsReleased()
    {
        var manager = new ConcurrentMemoryManager<long>(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        WriteGuard<long> guard = manager.Write(token);
        var held = new SlotWord(manager.Core.SlotWordAt(0));
        Assert.Equal((true, SlotWord.TicketOf(guard.Hold), 0L), (held.HasWriter, held.Ticket, held.Readers));
        guard.Commit();
        guard.Dispose();
        var released = new SlotWord(manager.Core.SlotWordAt(0));
        Assert.Equal((false, 0L, 0L, false), (released.HasWriter, released.Ticket, released.Readers, released.IsPoisoned));
        Assert.True(manager.TryFree(token, out _));
    }

    [Fact]
    public void TryRead_DuringAWriteHoldWhoseTicketIsAllOnes_IsAlreadyBorrowed_NotReaderLimit()
    {
        // Once every 2^20 write holds the ticket's bits are all ones, the reader limit's value (found by review).
        var manager = new ConcurrentMemoryManager<long>(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        manager.Core.StartHoldsAt((1L << 20) - 2);
        WriteGuard<long> guard = manager.Write(token);
        Assert.Equal(SlotWord.MaxReaders, SlotWord.TicketOf(guard.Hold));
        Assert.False(manager.TryRead(token, out _, out MemoryError read));
        Assert.False(manager.TryPeekHeader(token, out _, out MemoryError peek));
        Assert.Equal((MemoryError.AlreadyBorrowed, MemoryError.AlreadyBorrowed), (read, peek));
        guard.Commit();
        guard.Dispose();
        Assert.True(manager.TryFree(token, out _));
    }

    [Fact]
    public void ACopy_IsRefused_DuringAFreesOrAReplacesHold_WhichCarryNoTicket()
    {
        var manager = new ConcurrentMemoryManager<long>(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        WriteGuard<long> guard = manager.Write(token);
#pragma warning disable MV0001 // the copy is the point
        WriteGuard<long> copy = guard;
#pragma warning restore MV0001
        guard.Commit();
        guard.Dispose();

        // The slot as a Free (or a Replace) holds it: the writer bit, ticket 0. The sequence is still the copy's hold's.
        ref long word = ref manager.Core.SlotWordAt(0);
        long freeHold = word | SlotWord.WriterBit;
        word = freeHold;
        Assert.Equal(MemoryError.NotBorrowed, GuardErrors.Commit(ref copy));
        Assert.Equal(MemoryError.NotBorrowed, GuardErrors.Release(ref copy));
        Assert.Equal(freeHold, word); // the hold is untouched
        word &= ~SlotWord.WriterBit;
        Assert.True(manager.TryFree(token, out _));
    }

    [Fact]
    public void ACopy_IsRefused_DuringTheHoldWhoseTicketIsItsOwn_2To20HoldsLater()
    {
        // The ticket repeats every 2^20 holds: the hold number (the sequence) tells the two holds apart.
        var manager = new ConcurrentMemoryManager<long>(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        WriteGuard<long> first = manager.Write(token);
#pragma warning disable MV0001 // the copy is the point
        WriteGuard<long> copy = first;
#pragma warning restore MV0001
        long firstHold = first.Hold;
        first.Commit();
        first.Dispose();
        for (int i = 1; i < 1 << 20; i++)
        {
            using WriteGuard<long> between = manager.Write(token);
            between.Commit();
        }

        WriteGuard<long> again = manager.Write(token);
        Assert.Equal(SlotWord.TicketOf(firstHold), SlotWord.TicketOf(again.Hold)); // the same word as the copy's hold
        Assert.Equal(MemoryError.NotBorrowed, GuardErrors.Commit(ref copy));
        Assert.Equal(MemoryError.NotBorrowed, GuardErrors.Release(ref copy));
        Assert.True(new SlotWord(manager.Core.SlotWordAt(0)).HasWriter);
        again.Value.Payload = 2;
        again.Commit();
        again.Dispose();
        Assert.True(manager.TryRead(token, out ReadGuard<long> read, out _));
        Assert.Equal(2, read.Value.Payload);
        read.Dispose();
        Assert.True(manager.TryFree(token, out _));
    }

    [Fact]
    public void CopiesReleasedAndCommittedOnAnotherThread_WhileTheMessageIsWrittenReplacedAndFreed_CorruptNothing()
    {
        // The reliability issue's attack, through the public API on real threads: one thread writes, replaces and
        // frees (and stores again); another releases and commits exact copies of the write guards the first one
        // holds, at whatever moment it gets to. The model checker explores the interleavings (copy-races); this runs
        // the production seam. Whatever the copies did, nothing is freed twice, no slot is handed out twice, no freed
        // token works again, no slot is lost and Available stays within [0, Capacity].
        const int Rounds = 20_000;
        var manager = new ConcurrentMemoryManager<long>(2, new ConcurrentMemoryManagerOptions { FreeListShards = 1 });
        WriteHold? shared = null;
        int stop = 0;
        int copyReleasesAccepted = 0;
        string? misuse = null;
        var misuser = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                if (Volatile.Read(ref shared) is { } hold)
                {
                    var copy = new WriteGuard<long>(manager.Core, ref manager.Core.MessageAt(hold.Token.Index), hold.Token, hold.Number);
                    MemoryError commit = GuardErrors.Commit(ref copy);
                    MemoryError release = GuardErrors.Release(ref copy);
                    if (commit is not (MemoryError.None or MemoryError.NotBorrowed) || release is not (MemoryError.None or MemoryError.NotBorrowed))
                    {
                        misuse ??= $"a copy's commit returned {commit}, its release {release}";
                    }

                    copyReleasesAccepted += release == MemoryError.None ? 1 : 0;
                }
            }
        });
        misuser.Start();

        var live = new HashSet<MessageToken>();
        var freed = new HashSet<MessageToken>();
        int guardReleasesRefused = 0;
        for (int round = 0; round < Rounds; round++)
        {
            MessageToken token = manager.Store(TestMessages.Of(round));
            Assert.True(live.Add(token), $"{token} handed out while live");
            Assert.DoesNotContain(token, freed);
            for (int w = 0; w < 3; w++)
            {
                // Nobody but this thread takes the slot: a copy never holds it, so the write is never busy.
                Assert.True(manager.TryWrite(token, out WriteGuard<long> guard, out MemoryError busy), $"write: {busy}");
                guard.Value.Payload = round;
                guard.Commit();
                Volatile.Write(ref shared, new WriteHold(token, guard.Hold));
                MemoryError released = GuardErrors.Release(ref guard);
                Assert.True(released is MemoryError.None or MemoryError.NotBorrowed, $"{released}");
                guardReleasesRefused += released == MemoryError.NotBorrowed ? 1 : 0;

                Assert.True(manager.TryReplace(token, TestMessages.Of(round), TimeSpan.FromSeconds(30), out MemoryError replace), $"replace: {replace}");
            }

            Assert.True(manager.TryFree(token, TimeSpan.FromSeconds(30), out MemoryError free), $"free: {free}");
            Assert.False(manager.TryFree(token, out MemoryError again));
            Assert.Equal(MemoryError.NotAllocated, again);
            Assert.False(manager.TryRead(token, out _, out MemoryError stale));
            Assert.Equal(MemoryError.StaleToken, stale);
            live.Remove(token);
            freed.Add(token);
            Assert.InRange(manager.Available, 0, manager.Capacity);
        }

        Volatile.Write(ref stop, 1);
        misuser.Join();
        Assert.Null(misuse);
        Assert.Equal(manager.Capacity, manager.Available);
        Assert.Equal(guardReleasesRefused, copyReleasesAccepted); // one release per hold: the copy's or the guard's
        Assert.All(manager.Core.CopySlotWords(), w => Assert.Equal(0L, w & (SlotWord.WriterBit | SlotWord.ReaderMask | SlotWord.LiveBit)));
    }

    private sealed record WriteHold(MessageToken Token, long Number);
}
