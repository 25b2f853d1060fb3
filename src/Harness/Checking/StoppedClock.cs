namespace ManagerVerified.Harness.Checking;

/// <summary>The harness's clock for timed waits: time never passes, so no deadline expires between two rounds of
/// a wait; a timed wait gives up only where the scheduler lets it, inside a wait (<see cref="IScheduler.WaitUntil"/>),
/// which is explored (Coyote, the model checker) and never happens on real threads. Reading it is no shared access.</summary>
internal sealed class StoppedClock : TimeProvider
{
    internal static readonly StoppedClock Instance = new();

    private StoppedClock()
    {
    }

    /// <inheritdoc />
    public override long GetTimestamp() => 0;
}
