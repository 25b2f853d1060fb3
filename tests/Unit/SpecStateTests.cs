using ManagerVerified.Core;
using ManagerVerified.Spec.Linearizability;
using ManagerVerified.Spec.Model;

namespace ManagerVerified.Tests.Unit;

/// <summary>The sequential specification's own rules where the manager's tests cannot reach cheaply.</summary>
public sealed class SpecStateTests
{
    [Fact]
    public void ReaderLimit_IsTheOnlyTryReadResultAtTheLimit_AndABlockingReadWaits()
    {
        var spec = new SpecState(1, 1);
        Assert.Equal(MemoryError.None, spec.Store(owner: 1, out MessageToken token, out spec));
        Step read = Acquire(token, MemoryError.None, tryOnly: true);
        for (long i = 0; i < SlotWord.MaxReaders; i++)
        {
            spec = spec.TryApply(read) ?? throw new InvalidOperationException($"reader {i + 1} refused");
        }

        Assert.NotNull(spec.TryApply(Acquire(token, MemoryError.ReaderLimit, tryOnly: true)));
        Assert.Null(spec.TryApply(Acquire(token, MemoryError.AlreadyBorrowed, tryOnly: true)));
        Assert.Null(spec.TryApply(Acquire(token, MemoryError.None, tryOnly: true)));
        Assert.Null(spec.TryApply(Acquire(token, MemoryError.None, tryOnly: false)));

        // One reader fewer: the next one is admitted again.
        SpecState released = spec.TryApply(new Step(0, 1, StepKind.ReleaseRead, false, token, 0, 0, MemoryError.None, 0, 1))!;
        Assert.NotNull(released.TryApply(read));
    }

    [Fact]
    public void Timeout_OnlyWhileTheConflictLasts()
    {
        var spec = new SpecState(1, 1);
        Assert.Equal(MemoryError.None, spec.Store(owner: 1, out MessageToken token, out spec));
        Step timedOut = new(0, 1, StepKind.AcquireWrite, false, token, 0, 0, MemoryError.Timeout, 0, 1, Timed: true);
        Assert.Null(spec.TryApply(timedOut)); // nothing in the way: a timed write cannot time out
        SpecState reading = spec.TryApply(Acquire(token, MemoryError.None, tryOnly: true))!;
        Assert.Same(reading, reading.TryApply(timedOut)); // a reader in the way: it may, and takes nothing
        Step freeTimedOut = new(0, 1, StepKind.FreeAcquire, false, token, 0, 0, MemoryError.Timeout, 0, 1, Timed: true);
        Assert.Same(reading, reading.TryApply(freeTimedOut));
        Assert.Null(spec.TryApply(freeTimedOut));

        // A call without a timeout never gives up, conflict or not: a blocking write or free that returned Timeout is no
        // history of this manager.
        Assert.Null(reading.TryApply(timedOut with { Timed = false }));
        Assert.Null(reading.TryApply(freeTimedOut with { Timed = false }));
    }

    [Fact]
    public void OutOfRangeToken_IsBadToken_NotACrash()
    {
        var spec = new SpecState(1, 1);
        var bad = new MessageToken(5, 1, 1);
        Assert.NotNull(spec.TryApply(Acquire(bad, MemoryError.BadToken, tryOnly: true)));
        Assert.Null(spec.TryApply(Acquire(bad, MemoryError.None, tryOnly: true)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SpecState(0, 1));
    }

    private static Step Acquire(MessageToken token, MemoryError error, bool tryOnly) =>
        new(0, 1, StepKind.AcquireRead, tryOnly, token, error == MemoryError.None ? 1 : 0, 0, error, 0, 1);
}
