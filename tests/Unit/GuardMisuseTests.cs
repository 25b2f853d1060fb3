using ManagerVerified.Core;

// These tests copy guards on purpose: the run-time check must refuse the copy's release even when the
// compile-time check (MV0001) is silenced.
#pragma warning disable MV0001

namespace ManagerVerified.Tests.Unit;

/// <summary>
/// A copied guard released twice, or released after its slot moved on, is refused with
/// <see cref="MemoryError.NotBorrowed"/> and changes nothing: no count underflows into the writer or
/// live bits, and no other owner's borrow is taken.
/// </summary>
public sealed class GuardMisuseTests
{
    [Fact]
    public void UsingAnExistingGuard_ThenDispose_SecondReleaseRefused()
    {
        // `using (g)` disposes a hidden copy; the variable itself still holds its owner.
        var manager = new ConcurrentMemoryManager<long>(1);
        MessageToken token = manager.Store(TestMessages.Of(5));
        Assert.True(manager.TryRead(token, out ReadGuard<long> g, out _));
        using (g)
        {
            Assert.Equal(5, g.Value.Payload);
        }

        long word = manager.Core.SlotWordAt(0);
        Assert.Equal(MemoryError.NotBorrowed, GuardErrors.Release(ref g));
        Assert.Equal(word, manager.Core.SlotWordAt(0));
        Assert.True(manager.TryFree(token, out _)); // the token still works: nothing was lost
    }

    [Fact]
    public void CopiedReadGuard_ReleasedAfterTheSlotWasReused_DoesNotTakeTheNewOwnersBorrow()
    {
        var manager = new ConcurrentMemoryManager<long>(1);
        MessageToken old = manager.Store(TestMessages.Of(1));
        ReadGuard<long> guard = manager.Read(old);
        ReadGuard<long> copy = guard;
        guard.Dispose();
        manager.Free(old);
        MessageToken next = manager.Store(TestMessages.Of(2));
        ReadGuard<long> reader = manager.Read(next); // the next owner's borrow

        Assert.Equal(MemoryError.NotBorrowed, GuardErrors.Release(ref copy));
        Assert.False(manager.TryFree(next, out MemoryError busy));
        Assert.Equal(MemoryError.BorrowActive, busy); // its reader is still counted
        reader.Dispose();
        Assert.True(manager.TryFree(next, out _));
        Assert.Equal(1, manager.Available);
    }

    [Fact]
    public void CopiedWriteGuard_ReleasedTwice_Refused_WordIntact()
    {
        var manager = new ConcurrentMemoryManager<long>(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        WriteGuard<long> guard = manager.Write(token);
        WriteGuard<long> copy = guard;
        guard.Value = TestMessages.Of(2);
        guard.Commit();
        guard.Dispose();
        long word = manager.Core.SlotWordAt(0);

        Assert.Equal(MemoryError.NotBorrowed, GuardErrors.Release(ref copy));
        Assert.Equal(word, manager.Core.SlotWordAt(0));
        using (ReadGuard<long> read = manager.Read(token))
        {
            Assert.Equal(2, read.Value.Payload);
        }

        Assert.True(manager.TryFree(token, out _));
    }

    [Fact]
    public void CopiedHeaderGuard_ReleasedAfterAWriterEntered_DoesNotReleaseTheWriter()
    {
        var manager = new ConcurrentMemoryManager<long>(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        HeaderGuard guard = manager.PeekHeader(token);
        HeaderGuard copy = guard;
        guard.Dispose();
        WriteGuard<long> writer = manager.Write(token);

        Assert.Equal(MemoryError.NotBorrowed, GuardErrors.Release(ref copy));
        Assert.True(new SlotWord(manager.Core.SlotWordAt(0)).HasWriter);
        Assert.False(manager.TryRead(token, out _, out MemoryError error));
        Assert.Equal(MemoryError.AlreadyBorrowed, error);
        writer.Dispose();
    }
}
