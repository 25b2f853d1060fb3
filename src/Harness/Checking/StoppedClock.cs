namespace ManagerVerified.Harness.Checking;

/// <summary>The harness's clock for timed waits and diagnostic mode: time never passes, so no deadline expires between
/// two rounds of a wait, and no timer fires (a diagnostic-mode manager's long-held-guard check never runs on a thread
/// of its own). A timed wait gives up only where the scheduler lets it, inside a wait (<see cref="IScheduler.WaitUntil"/>),
/// which is explored (Coyote, the model checker) and never happens on real threads. Reading it is no shared access.</summary>
internal sealed class StoppedClock : TimeProvider
{
    internal static readonly StoppedClock Instance = new();

    private StoppedClock()
    {
    }

    /// <inheritdoc />
    public override long GetTimestamp() => 0;

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => NeverFires.Instance;

    private sealed class NeverFires : ITimer
    {
        internal static readonly NeverFires Instance = new();

        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
