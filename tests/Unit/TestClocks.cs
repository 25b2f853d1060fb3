namespace ManagerVerified.Tests.Unit;

/// <summary>A clock that moves only when told, and timers that fire when the clock passes their due time (as often
/// as their period says: a one-shot timer once) or when told. Safe to read from other threads; counts its reads, so a
/// test can wait until a waiting thread has looked at the time again, with no sleep.</summary>
internal sealed class ManualTime : TimeProvider
{
    private readonly List<ManualTimer> _timers = [];
    private long _ticks;
    private long _reads;

    public IReadOnlyList<ITimer> Timers => _timers;

    /// <summary>How often the clock has been read.</summary>
    public long Reads => Volatile.Read(ref _reads);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        Interlocked.Increment(ref _reads);
        return Volatile.Read(ref _ticks);
    }

    /// <summary>Moves the clock; fires no timer.</summary>
    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    /// <summary>Moves the clock, firing each timer at each of its due times passed on the way, in order.</summary>
    public void AdvanceAndFire(TimeSpan by)
    {
        long end = Volatile.Read(ref _ticks) + by.Ticks;
        while (_timers.Where(t => !t.Disposed && t.Due <= end).MinBy(t => t.Due) is { } next)
        {
            Volatile.Write(ref _ticks, Math.Max(Volatile.Read(ref _ticks), next.Due));
            next.Due = next.Period == Timeout.InfiniteTimeSpan ? long.MaxValue : next.Due + next.Period.Ticks;
            next.Callback(next.State);
        }

        Volatile.Write(ref _ticks, end);
    }

    /// <summary>Waits (spinning, no sleep) until the clock has been read <paramref name="more"/> more times than
    /// <paramref name="since"/>: a thread that waits on a deadline has looked at the time again.</summary>
    public void WaitForReads(long since, long more = 2)
    {
        SpinWait spinner = default;
        while (Reads < since + more)
        {
            spinner.SpinOnce();
        }
    }

    /// <summary>Fires every timer now, whatever its due time.</summary>
    public void FireTimers()
    {
        foreach (ManualTimer timer in _timers.Where(t => !t.Disposed).ToArray())
        {
            timer.Callback(timer.State);
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(callback, state)
        {
            Due = dueTime == Timeout.InfiniteTimeSpan ? long.MaxValue : Volatile.Read(ref _ticks) + dueTime.Ticks,
            Period = period,
        };
        _timers.Add(timer);
        return timer;
    }

    internal sealed class ManualTimer(TimerCallback callback, object? state) : ITimer
    {
        public TimerCallback Callback { get; } = callback;

        public object? State { get; } = state;

        public bool Disposed { get; private set; }

        internal long Due { get; set; }

        internal TimeSpan Period { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period) => !Disposed;

        public void Dispose() => Disposed = true;

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>A clock that moves by <see cref="Step"/> each time it is read: a thread spinning on a deadline makes its
/// own time pass, deterministically, so a test can say exactly when (in this clock's time) a wait gave up.</summary>
internal sealed class TickingTime : TimeProvider
{
    private long _ticks;

    /// <summary>How far one read moves the clock: 1 ms.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(1);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>The time now, without moving it.</summary>
    public TimeSpan Now => TimeSpan.FromTicks(Volatile.Read(ref _ticks));

    public override long GetTimestamp() => Interlocked.Add(ref _ticks, Step.Ticks);
}
