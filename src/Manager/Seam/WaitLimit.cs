using System.Diagnostics;

namespace ManagerVerified.Seam;

/// <summary>
/// How long an operation may wait for a conflicting borrow to end: not at all (the Try members), until
/// a deadline (the timed members), or for ever (the blocking members); any wait can be cancelled.
/// </summary>
internal readonly struct WaitLimit
{
    private const long NoWait = 0;
    private const long NoDeadline = long.MaxValue;

    private WaitLimit(long deadline, CancellationToken cancellation)
    {
        Deadline = deadline;
        Cancellation = cancellation;
    }

    /// <summary>Do not wait: a conflict is the operation's answer (AlreadyBorrowed, BorrowActive, ReaderLimit).</summary>
    internal static WaitLimit None => default;

    /// <summary>Wait until the conflict ends.</summary>
    internal static WaitLimit Forever => new(NoDeadline, default);

    /// <summary>The <see cref="Stopwatch"/> timestamp after which a wait gives up; 0 = never wait, <see cref="long.MaxValue"/> = never give up.</summary>
    internal long Deadline { get; }

    /// <summary>Ends a wait with <see cref="OperationCanceledException"/>.</summary>
    internal CancellationToken Cancellation { get; }

    /// <summary>False for <see cref="None"/>: the operation answers a conflict instead of waiting.</summary>
    internal bool Waits => Deadline != NoWait;

    /// <summary>True when the wait can end other than by the conflict ending (a deadline or a cancellation).</summary>
    internal bool CanGiveUp => Deadline != NoDeadline || Cancellation.CanBeCanceled;

    /// <summary>Waits until the conflict ends, <paramref name="cancellation"/> is cancelled, or for ever.</summary>
    internal static WaitLimit Until(CancellationToken cancellation) => new(NoDeadline, cancellation);

    /// <summary>Waits at most <paramref name="timeout"/> (<see cref="Timeout.InfiniteTimeSpan"/>: for ever).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is negative (other than infinite) or longer than <see cref="int.MaxValue"/> milliseconds.</exception>
    internal static WaitLimit For(TimeSpan timeout, CancellationToken cancellation)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return new(NoDeadline, cancellation);
        }

        // The bounds SemaphoreSlim.Wait and ReaderWriterLockSlim.TryEnterReadLock accept.
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(timeout, TimeSpan.FromMilliseconds(int.MaxValue));
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        return new(Math.Max(deadline, 1), cancellation); // even a zero timeout is a (given-up) wait: Timeout, not a Try answer
    }

    /// <summary>True once the deadline has passed.</summary>
    internal bool Expired => Deadline != NoDeadline && Stopwatch.GetTimestamp() >= Deadline;
}
