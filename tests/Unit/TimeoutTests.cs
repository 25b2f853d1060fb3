using ManagerVerified.Core;

namespace ManagerVerified.Tests.Unit;

/// <summary>
/// Timed and cancellable waits: a conflicting borrow that outlasts the timeout gives
/// <see cref="MemoryError.Timeout"/>, a cancelled wait throws <see cref="OperationCanceledException"/>,
/// and neither takes or changes anything. The conflicts are held for the whole call, so no result
/// depends on timing.
/// </summary>
public sealed class TimeoutTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(5);

    [Fact]
    public void TimedMembers_WhileTheConflictLasts_TimeoutAndNothingChanges()
    {
        var manager = new ConcurrentMemoryManager<long>(2);
        MessageToken token = manager.Store(TestMessages.Of(7));
        long word;

        using (ReadGuard<long> reader = manager.Read(token))
        {
            word = manager.Core.SlotWordAt(token.Index);
            Assert.False(manager.TryWrite(token, Short, out _, out MemoryError write));
            Assert.False(manager.TryFree(token, Short, out MemoryError free));
            Assert.Equal((MemoryError.Timeout, MemoryError.Timeout), (write, free));
            Assert.Equal(word, manager.Core.SlotWordAt(token.Index));
        }

        using (WriteGuard<long> writer = manager.Write(token))
        {
            word = manager.Core.SlotWordAt(token.Index);
            Assert.False(manager.TryRead(token, Short, out _, out MemoryError read));
            Assert.False(manager.TryPeekHeader(token, TimeSpan.Zero, out _, out MemoryError peek));
            Assert.Equal((MemoryError.Timeout, MemoryError.Timeout), (read, peek));
            Assert.Equal(word, manager.Core.SlotWordAt(token.Index));
            writer.Commit();
        }

        Assert.Equal(1, manager.Available);
        Assert.True(manager.TryRead(token, TimeSpan.Zero, out ReadGuard<long> after, out _));
        Assert.Equal(7, after.Value.Payload);
        after.Dispose();
        Assert.True(manager.TryFree(token, Timeout.InfiniteTimeSpan, out _));
        Assert.Equal(2, manager.Available);
    }

    [Fact]
    public void TimedMembers_TokenErrorsComeFirst()
    {
        var manager = new ConcurrentMemoryManager<long>(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        manager.Free(token);
        Assert.False(manager.TryRead(token, Short, out _, out MemoryError read));
        Assert.False(manager.TryFree(token, Short, out MemoryError free));
        Assert.Equal((MemoryError.StaleToken, MemoryError.NotAllocated), (read, free));
    }

    [Fact]
    public void CancelledWait_Throws_AndTakesNothing()
    {
        var manager = new ConcurrentMemoryManager<long>(1);
        MessageToken token = manager.Store(TestMessages.Of(3));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        long word;
        using (WriteGuard<long> writer = manager.Write(token))
        {
            word = manager.Core.SlotWordAt(token.Index);
            Assert.Throws<OperationCanceledException>(() => { using ReadGuard<long> r = manager.Read(token, cancelled.Token); });
            Assert.Throws<OperationCanceledException>(() => manager.TryRead(token, Timeout.InfiniteTimeSpan, out _, out _, cancelled.Token));
            Assert.Equal(word, manager.Core.SlotWordAt(token.Index));
            writer.Commit();
        }

        // No conflict, no wait: a cancelled token does not matter.
        using (ReadGuard<long> reader = manager.Read(token, cancelled.Token))
        {
            Assert.Equal(3, reader.Value.Payload);
            Assert.Throws<OperationCanceledException>(() => manager.Free(token, cancelled.Token));
        }

        manager.Free(token, cancelled.Token);
        Assert.Equal(1, manager.Available);
    }

    [Fact]
    public void CancelledFromAnotherThread_WhileWaiting_Throws()
    {
        var manager = new ConcurrentMemoryManager<long>(1);
        MessageToken token = manager.Store(TestMessages.Of(4));
        using var source = new CancellationTokenSource();
        Exception? seen = null;
        ReadGuard<long> reader = manager.Read(token);
        var waiter = new Thread(() => seen = Record.Exception(() => manager.Free(token, source.Token)));
        waiter.Start();
        source.Cancel();
        waiter.Join();
        reader.Dispose();
        Assert.IsType<OperationCanceledException>(seen);
        Assert.True(manager.TryFree(token, out _));
    }

    [Theory]
    [InlineData(-2.0)]
    [InlineData(-1000.0)]
    [InlineData(int.MaxValue + 1.0)]
    public void Timeout_OutOfRange_Throws(double milliseconds)
    {
        var manager = new ConcurrentMemoryManager<long>(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => manager.TryRead(token, TimeSpan.FromMilliseconds(milliseconds), out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => manager.TryFree(token, TimeSpan.FromMilliseconds(milliseconds), out _));
    }
}
