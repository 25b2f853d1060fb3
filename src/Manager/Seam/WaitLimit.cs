namespace ManagerVerified.Seam;

/// <summary>
/// How long an operation may wait for a conflicting borrow to end: not at all (the Try members), until
/// a deadline (the timed members), or for ever (the blocking members); any wait can be cancelled.
/// </summary>
/// <remarks>A deadline is a timestamp of the manager's <see cref="TimeProvider"/>
/// (<see cref="ConcurrentMemoryManagerOptions.TimeProvider"/>), so tests and the harness control time.
/// The core asks <see cref="GivesUpNow"/> on every round of a wait, before it waits again, and the seam's
/// wait gives up inside a round: a word that keeps changing cannot keep a call past its limit.</remarks>
internal readonly struct WaitLimit
{
    private const long NoDeadline = long.MaxValue;

    private readonly TimeProvider? _time;

    private WaitLimit(long deadline, TimeProvider? time, CancellationToken cancellation)
    {
        Waits = true;
        Deadline = deadline;
        Cancellation = cancellation;
        _time = time;
    }

    /// <summary>Do not wait: a conflict is the operation's answer (AlreadyBorrowed, BorrowActive, ReaderLimit).</summary>
    internal static WaitLimit None => default;

    /// <summary>Wait until the conflict ends.</summary>
    internal static WaitLimit Forever => new(NoDeadline, null, default);

    /// <summary>The timestamp (of the limit's <see cref="TimeProvider"/>) from which a wait gives up;
    /// <see cref="long.MaxValue"/> = never (and meaningless for <see cref="None"/>).</summary>
    internal long Deadline { get; }

    /// <summary>Ends a wait with <see cref="OperationCanceledException"/>.</summary>
    internal CancellationToken Cancellation { get; }

    /// <summary>False for <see cref="None"/>: the operation answers a conflict instead of waiting.</summary>
    internal bool Waits { get; }

    /// <summary>True when the wait can end other than by the conflict ending (a deadline or a cancellation).</summary>
    internal bool CanGiveUp => Waits && (Deadline != NoDeadline || Cancellation.CanBeCanceled);

    /// <summary>Waits until the conflict ends, <paramref name="cancellation"/> is cancelled, or for ever.</summary>
    internal static WaitLimit Until(CancellationToken cancellation) => new(NoDeadline, null, cancellation);

    /// <summary>Waits at most <paramref name="timeout"/> of <paramref name="time"/> (<see cref="Timeout.InfiniteTimeSpan"/>: for ever).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is negative (other than infinite) or longer than <see cref="int.MaxValue"/> milliseconds.</exception>
    internal static WaitLimit For(TimeSpan timeout, TimeProvider time, CancellationToken cancellation)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return new(NoDeadline, null, cancellation);
        }

        // The bounds SemaphoreSlim.Wait and ReaderWriterLockSlim.TryEnterReadLock accept.
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(timeout, TimeSpan.FromMilliseconds(int.MaxValue));
        long now = time.GetTimestamp();
        double ticks = timeout.TotalSeconds * time.TimestampFrequency; // in the provider's own unit
        long deadline = ticks >= (double)NoDeadline - now - 1 ? NoDeadline - 1 : now + (long)ticks;
        return new(deadline, time, cancellation); // a zero timeout is a wait that gives up at once: Timeout, not a Try answer
    }

    /// <summary>True once the deadline has come (at once for a zero timeout, whatever the clock reads).</summary>
    internal bool Expired => Deadline != NoDeadline && _time!.GetTimestamp() >= Deadline;

    /// <summary>Before another round of waiting: throws <see cref="OperationCanceledException"/> when cancelled, and
    /// answers whether the deadline has come (false for a limit that cannot give up).</summary>
    internal bool GivesUpNow()
    {
        if (!CanGiveUp)
        {
            return false;
        }

        Cancellation.ThrowIfCancellationRequested();
        return Expired;
    }
}
