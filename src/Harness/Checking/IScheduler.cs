using ManagerVerified.Spec.Races;
using Microsoft.Coyote.Runtime;

namespace ManagerVerified.Harness.Checking;

/// <summary>How a checked run interleaves and waits: under Coyote, under the model checker
/// (<see cref="ModelChecking.ModelChecker"/>), or on real threads.</summary>
public interface IScheduler
{
    /// <summary>Runs <paramref name="body"/> as <paramref name="count"/> concurrent tasks (0 to count - 1) and
    /// completes when all have.</summary>
    Task RunTasks(int count, Action<int> body);

    /// <summary>True when the scheduler wants every access (<see cref="Accessed"/>): the model checker.</summary>
    bool TracksAccesses => false;

    /// <summary>The step since the last <see cref="Point"/> accessed <paramref name="location"/>: what the
    /// model checker needs to know which steps commute. The other schedulers ignore it.</summary>
    void Accessed(Location location, AccessKind kind)
    {
    }

    /// <summary>The next <see cref="WaitUntil"/> waits for <paramref name="location"/> to change: the waiting
    /// step reads it. The other schedulers ignore it.</summary>
    void WaitingOn(Location location)
    {
    }

    /// <summary>The running task (or the set-up) starts an operation: progress, for the model checker's
    /// livelock check. The other schedulers ignore it.</summary>
    void OperationStarted()
    {
    }

    /// <summary>A point where another operation may run (before every shared access of the checked seam).</summary>
    void Point();

    /// <summary>Blocks until <paramref name="condition"/> holds (true), or until the wait gives up (false).
    /// The condition must use plain reads; a task names the location it reads with <see cref="WaitingOn"/>
    /// first (the model checker refuses a wait that does not).</summary>
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
    public Task RunTasks(int count, Action<int> body) => TaskFanOut.Run(count, body);

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
    public Task RunTasks(int count, Action<int> body) => TaskFanOut.Run(count, body);

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

/// <summary>Tasks on the pool (under Coyote: controlled tasks, this assembly being rewritten).</summary>
internal static class TaskFanOut
{
    internal static Task Run(int count, Action<int> body)
    {
        var tasks = new Task[count];
        for (int i = 0; i < count; i++)
        {
            int id = i;
            tasks[i] = Task.Run(() => body(id));
        }

        return Task.WhenAll(tasks); // a Task[]: the params-span overload is not rewritten by Coyote 1.7.11
    }
}
