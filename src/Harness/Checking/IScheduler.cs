using Microsoft.Coyote.Runtime;

namespace ManagerVerified.Harness.Checking;

/// <summary>How a checked run interleaves and waits: under Coyote, or on real threads.</summary>
public interface IScheduler
{
    /// <summary>A point where another operation may run (before every shared access of the checked seam).</summary>
    void Point();

    /// <summary>Blocks until <paramref name="condition"/> holds (true), or until the wait gives up (false).
    /// The condition must use plain reads.</summary>
    /// <param name="condition">What the wait waits for.</param>
    /// <param name="giveUp">Null: wait for ever. Otherwise the wait may give up: on real threads when this
    /// returns true (a deadline; it throws when cancelled); under Coyote at a point Coyote chooses, so
    /// both outcomes of a timed wait are explored.</param>
    bool WaitUntil(Func<bool> condition, Func<bool>? giveUp);

    /// <summary>True when a Coyote test engine controls the run.</summary>
    bool IsSystematic { get; }

    /// <summary>A choice among <paramref name="count"/> values (0 to count - 1) that the exploration controls,
    /// so every value is explored and a trace replays it; 0 when there is only one.</summary>
    int Choose(int count);
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
    public bool WaitUntil(Func<bool> condition, Func<bool>? giveUp)
    {
        // A generator made inside the iteration: Coyote controls and records its choices, so a trace replays.
        if (giveUp is not null && !condition() && Microsoft.Coyote.Random.Generator.Create().NextBoolean())
        {
            return false; // a timeout before the conflict ended
        }

        Operation.PauseUntil(condition);
        return true;
    }

    /// <inheritdoc />
    public bool IsSystematic => true;

    /// <inheritdoc />
    public int Choose(int count) => count <= 1 ? 0 : Microsoft.Coyote.Random.Generator.Create().NextInteger(count);
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
    public bool WaitUntil(Func<bool> condition, Func<bool>? giveUp)
    {
        SpinWait spinner = default;
        while (!condition())
        {
            if (giveUp?.Invoke() == true)
            {
                return false;
            }

            spinner.SpinOnce();
        }

        return true;
    }

    /// <inheritdoc />
    public bool IsSystematic => false;

    /// <inheritdoc />
    public int Choose(int count) => count <= 1 ? 0 : Random.Shared.Next(count);
}
