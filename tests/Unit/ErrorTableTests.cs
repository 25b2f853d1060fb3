using ManagerVerified.Core;
using ManagerVerified.Verification;

namespace ManagerVerified.Tests.Unit;

/// <summary>Every row of the error table, each its own test, plus "an error never changes state".</summary>
public sealed class ErrorTableTests
{
    [Fact]
    public void TryStore_WhenFull_ReturnsNoFreeSlots()
    {
        var manager = TestMessages.Manager(1);
        manager.Store(TestMessages.Of(1));
        Assert.False(manager.TryStore(TestMessages.Of(2), out MessageToken token, out MemoryError error));
        Assert.Equal(MemoryError.NoFreeSlots, error);
        Assert.Equal(default, token);
    }

    [Fact]
    public void Store_WhenFull_ThrowsNoFreeSlots()
    {
        var manager = TestMessages.Manager(1);
        manager.Store(TestMessages.Of(1));
        var e = Assert.Throws<MemoryManagerException>(() => manager.Store(TestMessages.Of(2)));
        Assert.Equal(MemoryError.NoFreeSlots, e.Error);
    }

    [Fact]
    public void Read_DefaultToken_BadToken()
    {
        var manager = TestMessages.Manager(2);
        Assert.False(manager.TryRead(default, out _, out MemoryError error));
        Assert.Equal(MemoryError.BadToken, error);
        Assert.Equal(MemoryError.BadToken, Assert.Throws<MemoryManagerException>(() => { using var g = manager.Read(default); }).Error);
    }

    [Fact]
    public void Read_IndexOutOfRange_BadToken()
    {
        var manager = TestMessages.Manager(2);
        var token = new MessageToken(5, 1, manager.Core.Id);
        Assert.False(manager.TryRead(token, out _, out MemoryError error));
        Assert.Equal(MemoryError.BadToken, error);
    }

    [Fact]
    public void Read_GenerationNeverIssued_BadToken()
    {
        var manager = TestMessages.Manager(2);
        MessageToken issued = manager.Store(TestMessages.Of(1));
        var future = new MessageToken(issued.Index, issued.Generation + 1, manager.Core.Id);
        Assert.False(manager.TryRead(future, out _, out MemoryError error));
        Assert.Equal(MemoryError.BadToken, error);
        var neverStored = new MessageToken(1 - issued.Index, 1, manager.Core.Id); // the other slot issued nothing yet
        Assert.False(manager.TryPeekHeader(neverStored, out _, out error));
        Assert.Equal(MemoryError.BadToken, error);
    }

    [Fact]
    public void Free_DefaultToken_BadToken()
    {
        var manager = TestMessages.Manager(2);
        Assert.False(manager.TryFree(default, out MemoryError error));
        Assert.Equal(MemoryError.BadToken, error);
    }

    [Fact]
    public void Read_FreedToken_StaleToken()
    {
        var manager = TestMessages.Manager(2);
        MessageToken token = manager.Store(TestMessages.Of(1));
        manager.Free(token);
        Assert.False(manager.TryRead(token, out _, out MemoryError error));
        Assert.Equal(MemoryError.StaleToken, error);
        Assert.Equal(MemoryError.StaleToken, Assert.Throws<MemoryManagerException>(() => { using var g = manager.Read(token); }).Error);
    }

    [Fact]
    public void Write_FreedToken_StaleToken()
    {
        var manager = TestMessages.Manager(2);
        MessageToken token = manager.Store(TestMessages.Of(1));
        manager.Free(token);
        Assert.False(manager.TryWrite(token, out _, out MemoryError error));
        Assert.Equal(MemoryError.StaleToken, error);
        Assert.Equal(MemoryError.StaleToken, Assert.Throws<MemoryManagerException>(() => { using var g = manager.Write(token); }).Error);
    }

    [Fact]
    public void PeekHeader_FreedToken_StaleToken()
    {
        var manager = TestMessages.Manager(2);
        MessageToken token = manager.Store(TestMessages.Of(1));
        manager.Free(token);
        Assert.False(manager.TryPeekHeader(token, out _, out MemoryError error));
        Assert.Equal(MemoryError.StaleToken, error);
        Assert.Equal(MemoryError.StaleToken, Assert.Throws<MemoryManagerException>(() => { using var g = manager.PeekHeader(token); }).Error);
    }

    [Fact]
    public void Read_FreedTokenAfterSlotReuse_StaleTokenNotNewMessage()
    {
        var manager = TestMessages.Manager(1);
        MessageToken old = manager.Store(TestMessages.Of(1));
        manager.Free(old);
        MessageToken fresh = manager.Store(TestMessages.Of(2));
        Assert.Equal(old.Index, fresh.Index);
        Assert.False(manager.TryRead(old, out _, out MemoryError error));
        Assert.Equal(MemoryError.StaleToken, error);
        using var guard = manager.Read(fresh);
        Assert.Equal(2, guard.Value.Payload);
    }

    [Fact]
    public void TryCopyHeader_Rows_MatchTheErrorTable()
    {
        var manager = TestMessages.Manager(2);
        MessageToken token = manager.Store(TestMessages.Of(5));
        Assert.True(manager.TryCopyHeader(token, out MessageHeader header, out MemoryError error));
        Assert.Equal((MemoryError.None, 5UL), (error, header.Sequence));
        using (manager.Read(token))
        {
            Assert.True(manager.TryCopyHeader(token, out _, out _)); // readers do not stop an optimistic copy
        }

        using (manager.Write(token))
        {
            Assert.False(manager.TryCopyHeader(token, out header, out error));
            Assert.Equal(MemoryError.AlreadyBorrowed, error);
            Assert.Equal(default, header);
        }

        Assert.False(manager.TryCopyHeader(default, out _, out error));
        Assert.Equal(MemoryError.BadToken, error);
        manager.Free(token);
        Assert.False(manager.TryCopyHeader(token, out _, out error));
        Assert.Equal(MemoryError.StaleToken, error);
    }

    [Fact]
    public void Free_AlreadyFreed_NotAllocated()
    {
        var manager = TestMessages.Manager(2);
        MessageToken token = manager.Store(TestMessages.Of(1));
        manager.Free(token);
        Assert.False(manager.TryFree(token, out MemoryError error));
        Assert.Equal(MemoryError.NotAllocated, error);
        Assert.Equal(MemoryError.NotAllocated, Assert.Throws<MemoryManagerException>(() => manager.Free(token)).Error);
    }

    [Fact]
    public void TryRead_WhileWriteLocked_AlreadyBorrowed()
    {
        var manager = TestMessages.Manager(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        using var writer = manager.Write(token);
        Assert.False(manager.TryRead(token, out _, out MemoryError error));
        Assert.Equal(MemoryError.AlreadyBorrowed, error);
        Assert.False(manager.TryPeekHeader(token, out _, out error));
        Assert.Equal(MemoryError.AlreadyBorrowed, error);
    }

    [Fact]
    public void TryWrite_WhileReadLocked_AlreadyBorrowed()
    {
        var manager = TestMessages.Manager(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        using var reader = manager.Read(token);
        Assert.False(manager.TryWrite(token, out _, out MemoryError error));
        Assert.Equal(MemoryError.AlreadyBorrowed, error);
    }

    [Fact]
    public void TryWrite_WhileWriteLocked_AlreadyBorrowed()
    {
        var manager = TestMessages.Manager(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        using var writer = manager.Write(token);
        Assert.False(manager.TryWrite(token, out _, out MemoryError error));
        Assert.Equal(MemoryError.AlreadyBorrowed, error);
    }

    [Fact]
    public void TryRead_WhileReadLocked_Succeeds()
    {
        var manager = TestMessages.Manager(1);
        MessageToken token = manager.Store(TestMessages.Of(9));
        using var first = manager.Read(token);
        Assert.True(manager.TryRead(token, out ReadGuard<long> second, out MemoryError error));
        try
        {
            Assert.Equal(MemoryError.None, error);
            Assert.Equal(9, second.Value.Payload);
        }
        finally
        {
            second.Dispose();
        }
    }

    [Fact]
    public void TryFree_WhileReadGuardHeld_BorrowActive()
    {
        var manager = TestMessages.Manager(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        using (manager.PeekHeader(token))
        {
            Assert.False(manager.TryFree(token, out MemoryError error));
            Assert.Equal(MemoryError.BorrowActive, error);
        }

        Assert.True(manager.TryFree(token, out _));
    }

    [Fact]
    public void TryFree_WhileWriteGuardHeld_BorrowActive()
    {
        var manager = TestMessages.Manager(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        using (manager.Write(token))
        {
            Assert.False(manager.TryFree(token, out MemoryError error));
            Assert.Equal(MemoryError.BorrowActive, error);
        }

        Assert.True(manager.TryFree(token, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(ConcurrentMemoryManager<long>.MaxCapacity + 1)]
    [InlineData(int.MaxValue)]
    public void Constructor_CapacityOutOfRange_Throws(int capacity) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConcurrentMemoryManager<long>(capacity));

    [Fact]
    public void Constructor_MaxCapacity_Accepted()
    {
        var manager = new ConcurrentMemoryManager<byte>(ConcurrentMemoryManager<byte>.MaxCapacity, MemoryClass.PinnedHost);
        Assert.Equal(ConcurrentMemoryManager<byte>.MaxCapacity, manager.Capacity);
        Assert.Equal(manager.Capacity, manager.Available);
        Assert.Equal(MemoryClass.PinnedHost, manager.MemoryClass);
        MessageToken last = default;
        for (int i = 0; i < 3; i++)
        {
            last = manager.Store(new Message<byte>(default, (byte)i));
        }

        using var guard = manager.Read(last);
        Assert.Equal(2, guard.Value.Payload);
    }

    [Fact]
    public void FailedOperations_LeaveSlotWordsAndCountUnchanged()
    {
        var manager = TestMessages.Manager(2);
        MessageToken live = manager.Store(TestMessages.Of(10));
        MessageToken freed = manager.Store(TestMessages.Of(20));
        manager.Free(freed);
        QuiescentSnapshot before = Snapshot(manager);

        using (manager.Read(live))
        {
            Assert.False(manager.TryWrite(live, out _, out _));
            Assert.False(manager.TryFree(live, out _));
        }

        Assert.False(manager.TryRead(freed, out _, out _));
        Assert.False(manager.TryWrite(freed, out _, out _));
        Assert.False(manager.TryFree(freed, out _));
        Assert.False(manager.TryFree(default, out _));

        Assert.False(manager.TryRead(new MessageToken(1, 99, manager.Core.Id), out _, out _));

        QuiescentSnapshot after = Snapshot(manager);
        Assert.Equal(before.Available, after.Available);
        Assert.Equal(before.FreeList, after.FreeList);
        Assert.Equal(before.Words.Select(w => w.Value), after.Words.Select(w => w.Value));
        using (var guard = manager.Read(live))
        {
            Assert.Equal(10, guard.Value.Payload);
        }

        // A refused store on a full manager leaves the head and every slot word as they were.
        manager.Store(TestMessages.Of(30));
        QuiescentSnapshot full = Snapshot(manager);
        Assert.False(manager.TryStore(TestMessages.Of(40), out _, out _));
        Assert.Equal(full.Words.Select(w => w.Value), Snapshot(manager).Words.Select(w => w.Value));
        Assert.Equal(full.Heads, Snapshot(manager).Heads);
        Assert.Equal(0, manager.Available);
    }

    [Fact]
    public void WriteGuard_ExceptionInScope_PoisonsUntilTheOwnerReplaces()
    {
        var manager = TestMessages.Manager(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        Assert.Throws<InvalidOperationException>(() => WriteThenThrow(manager, token));

        // The slot is unlocked, and nobody sees the half-written message.
        Assert.False(manager.TryRead(token, out _, out MemoryError error));
        Assert.Equal(MemoryError.Poisoned, error);
        Assert.False(manager.TryPeekHeader(token, out _, out error));
        Assert.Equal(MemoryError.Poisoned, error);
        Assert.False(manager.TryCopyHeader(token, out _, out error));
        Assert.Equal(MemoryError.Poisoned, error);
        Assert.False(manager.TryWrite(token, out _, out error));
        Assert.Equal(MemoryError.Poisoned, error);
        Assert.Equal(MemoryError.Poisoned, Assert.Throws<MemoryManagerException>(() => { using var r = manager.Read(token); }).Error);
        Assert.DoesNotContain(Snapshot(manager).Words, w => w.HasWriter || w.Readers != 0);

        // The owner's completed write clears it.
        manager.Replace(token, TestMessages.Of(3));
        using (var reader = manager.Read(token))
        {
            Assert.Equal(3, reader.Value.Payload);
        }

        Assert.False(Snapshot(manager).Words[0].IsPoisoned);
    }

    [Fact]
    public void WriteGuard_Committed_Publishes_AndClearsNothingElse()
    {
        var manager = TestMessages.Manager(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        using (var guard = manager.Write(token))
        {
            guard.Value = TestMessages.Of(2);
            guard.Commit();
            guard.Commit(); // harmless
        }

        using var reader = manager.Read(token);
        Assert.Equal(2, reader.Value.Payload);
    }

    [Fact]
    public void PoisonedMessage_FreeWorks_AndTheSlotComesBackClean()
    {
        var manager = TestMessages.Manager(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        var guard = manager.Write(token);
        guard.Dispose(); // no Commit: poisoned
        Assert.True(manager.TryFree(token, out _));
        MessageToken next = manager.Store(TestMessages.Of(4));
        using var reader = manager.Read(next);
        Assert.Equal(4, reader.Value.Payload);
        Assert.False(Snapshot(manager).Words[0].IsPoisoned);
    }

    [Fact]
    public void Commit_OnADisposedGuard_Throws_AndOnACopyAfterRelease_IsRefused()
    {
        var manager = TestMessages.Manager(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        var guard = manager.Write(token);
#pragma warning disable MV0001 // the copy is the point: its commit must be refused
        WriteGuard<long> copy = guard;
#pragma warning restore MV0001
        guard.Commit();
        guard.Dispose();
        Assert.Throws<ObjectDisposedException>(() => CommitDisposed(manager, token));
        Assert.Equal(MemoryError.NotBorrowed, GuardErrors.Commit(ref copy));
        Assert.False(Snapshot(manager).Words[0].IsPoisoned);
        Assert.False(Snapshot(manager).Words[0].HasWriter);
    }

    [Fact]
    public void Commit_OfACopy_WhileTheSlotsNextWriterHoldsIt_IsRefused_AndTheWriterStillPoisons()
    {
        var manager = TestMessages.Manager(1);
        MessageToken first = manager.Store(TestMessages.Of(1));
        var guard = manager.Write(first);
#pragma warning disable MV0001 // the copy is the point: it must not commit someone else's write
        WriteGuard<long> copy = guard;
#pragma warning restore MV0001
        guard.Commit();
        guard.Dispose();
        manager.Free(first);
        MessageToken second = manager.Store(TestMessages.Of(2));
        var next = manager.Write(second); // the slot's next writer, of a later generation

        Assert.Equal(MemoryError.NotBorrowed, GuardErrors.Commit(ref copy));
        next.Value.Header.Sequence = 99; // half a write, then the scope ends without Commit
        next.Dispose();
        Assert.False(manager.TryRead(second, out _, out MemoryError error));
        Assert.Equal(MemoryError.Poisoned, error);
    }

    private static void CommitDisposed(ConcurrentMemoryManager<long> manager, MessageToken token)
    {
        var guard = manager.Write(token);
        guard.Commit();
        guard.Dispose();
        guard.Commit();
    }

    [Fact]
    public void Guards_DisposedTwice_Harmless()
    {
        var manager = TestMessages.Manager(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        var read = manager.Read(token);
        read.Dispose();
        read.Dispose();
        var write = manager.Write(token);
        write.Commit();
        write.Dispose();
        write.Dispose();
        var header = manager.PeekHeader(token);
        header.Dispose();
        header.Dispose();
        Assert.DoesNotContain(Snapshot(manager).Words, w => w.HasWriter || w.Readers != 0);
        manager.Free(token);
        Assert.Equal(1, manager.Available);
    }

    [Fact]
    public void Guard_ValueAfterDispose_ThrowsObjectDisposed()
    {
        var manager = TestMessages.Manager(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        var read = manager.Read(token);
        read.Dispose();
        var write = manager.Write(token);
        write.Commit();
        write.Dispose();
        var header = manager.PeekHeader(token);
        header.Dispose();
        int threw = 0;
        try
        {
            _ = read.Value.Payload;
        }
        catch (ObjectDisposedException)
        {
            threw++;
        }

        try
        {
            _ = write.Value.Payload;
        }
        catch (ObjectDisposedException)
        {
            threw++;
        }

        try
        {
            _ = header.Value.Sequence;
        }
        catch (ObjectDisposedException)
        {
            threw++;
        }

        Assert.Equal(3, threw); // each kind of guard: read, write, header
    }

    [Fact]
    public void Free_ClearsMessage_ManagerKeepsNoReferenceToPayload()
    {
        var manager = new ConcurrentMemoryManager<object>(1);
        WeakReference weak = StoreAndFree(manager);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(weak.IsAlive);
    }

    [Fact]
    public void HeaderGuard_ReturnsStoredHeader()
    {
        var manager = TestMessages.Manager(1);
        var header = new MessageHeader { TraceId = 1, Sequence = 2, CreationTick = 3, DeadlineNs = 4, QoS = QoSClass.Bulk, PayloadSizeBytes = 5, Flags = MessageFlags.Compressed | MessageFlags.LastInBatch, MemoryClass = MemoryClass.Device };
        MessageToken token = manager.Store(new Message<long>(header, 6));
        using var guard = manager.PeekHeader(token);
        Assert.Equal(header, guard.Value);
    }

    private static void WriteThenThrow(ConcurrentMemoryManager<long> manager, MessageToken token)
    {
        using var guard = manager.Write(token);
        guard.Value.Payload = 2;
        throw new InvalidOperationException("user code failed");
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference StoreAndFree(ConcurrentMemoryManager<object> manager)
    {
        var payload = new object();
        MessageToken token = manager.Store(new Message<object>(default, payload));
        manager.Free(token);
        return new WeakReference(payload);
    }

    internal static QuiescentSnapshot Snapshot<T>(ConcurrentMemoryManager<T> manager) => manager.Core.SnapshotQuiescent();
}
