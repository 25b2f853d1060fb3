using Microsoft.Coyote.Runtime;

namespace ManagerVerified.Harness.Checking;

/// <summary>How a checked run interleaves and waits: under Coyote, or on real threads.</summary>
public interface IScheduler
{
    /// <summary>A point where another operation may run (before every shared access of the checked seam).</summary>
    void Point();

    /// <summary>Blocks until <paramref name="condition"/> holds. The condition must use plain reads.</summary>
    void WaitUntil(Func<bool> condition);

    /// <summary>True when a Coyote test engine controls the run.</summary>
    bool IsSystematic { get; }
}

/// <summary>Coyote: every point is a scheduling point; waiting pauses the operation until the condition holds.</summary>
public sealed class CoyoteScheduler : IScheduler
{
    /// <summary>The one instance.</summary>
    public static readonly CoyoteScheduler Instance = new();

    private CoyoteScheduler()
    {
    }

    /// <inheritdoc />
    public void Point() => SchedulingPoint.Interleave();

    /// <inheritdoc />
    public void WaitUntil(Func<bool> condition) => Operation.PauseUntil(condition);

    /// <inheritdoc />
    public bool IsSystematic => true;
}

/// <summary>Real threads: points are free; waiting spins.</summary>
public sealed class ThreadScheduler : IScheduler
{
    /// <summary>The one instance.</summary>
    public static readonly ThreadScheduler Instance = new();

    private ThreadScheduler()
    {
    }

    /// <inheritdoc />
    public void Point()
    {
    }

    /// <inheritdoc />
    public void WaitUntil(Func<bool> condition)
    {
        SpinWait spinner = default;
        while (!condition())
        {
            spinner.SpinOnce();
        }
    }

    /// <inheritdoc />
    public bool IsSystematic => false;
}
