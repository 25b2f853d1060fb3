using System.Globalization;
using System.Text;
using ManagerVerified.Harness.Checking;
using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Harness.ModelChecking;

/// <summary>A program the model checker explores: it runs its concurrent part through
/// <see cref="IScheduler.RunTasks"/>, touches shared memory only behind <see cref="IScheduler.Point"/> (reporting
/// each access through <see cref="IScheduler.Accessed"/>), and reports violations to the sink.</summary>
/// <param name="scheduler">The scheduler of this execution.</param>
/// <param name="sink">Where this execution's violations go.</param>
public delegate void ModelProgram(IScheduler scheduler, ViolationSink sink);

/// <summary>How far the model checker may go.</summary>
public sealed record ModelCheckOptions
{
    /// <summary>At most this many preemptions per execution (a switch away from a task that could have gone
    /// on), or null for none: only an unbounded search can end <see cref="ModelVerdict.Complete"/>.</summary>
    public int? PreemptionBound { get; init; }

    /// <summary>Scheduling steps one execution may take; an execution that reaches it is cut (the verdict is then bounded).</summary>
    public int MaxSteps { get; init; } = 5_000;

    /// <summary>A task, or the set-up, that takes this many steps in a row alone (every other task finished or
    /// waiting) without starting another operation (<see cref="Checking.IScheduler.OperationStarted"/>) has
    /// nobody who could change what it reads: a livelock, reported as a
    /// <see cref="Spec.Checking.SpecProperty.StepBound"/> violation (a scenario's operation takes tens of steps).</summary>
    public int LivelockSteps { get; init; } = 2_500;

    /// <summary>Stops after this many executions (the verdict is then bounded), or null for no limit.</summary>
    public long? MaxExecutions { get; init; }

    /// <summary>Stops after this long (the verdict is then bounded), or null for no limit.</summary>
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>After a violation, searches again with preemption bounds 0, 1, ... so the counterexample
    /// reported is one with the fewest preemptions.</summary>
    public bool MinimizeCounterexample { get; init; } = true;
}

/// <summary>The verdict of a model-checking run.</summary>
public enum ModelVerdict
{
    /// <summary>Every execution of the program, up to equivalence, was explored; no bound cut anything; none violated a property.</summary>
    Complete,

    /// <summary>No explored execution violated a property, but a bound cut the search: evidence, not proof.</summary>
    Bounded,

    /// <summary>An execution violated a property (see <see cref="ModelCheckResult.Counterexample"/>).</summary>
    Violation,
}

/// <summary>One decision of an execution: which task took the next step (0: the set-up), and the value of
/// the choice that step made (-1 when it made none).</summary>
/// <param name="Task">The task.</param>
/// <param name="Choice">The choice, or -1.</param>
public readonly record struct ModelDecision(int Task, int Choice);

/// <summary>The decisions of one execution: replaying them reproduces it exactly.</summary>
/// <param name="Decisions">The decisions, in order.</param>
public sealed record ModelTrace(IReadOnlyList<ModelDecision> Decisions)
{
    /// <summary>The text form: a header line, then one "task[:choice]" per decision, space separated.</summary>
    public string Serialize(string header)
    {
        var text = new StringBuilder();
        text.Append("# ").AppendLine(header.ReplaceLineEndings(" "));
        text.AppendLine(string.Join(' ', Decisions.Select(d => d.Choice < 0
            ? d.Task.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{d.Task}:{d.Choice}"))));
        return text.ToString();
    }

    /// <summary>Reads the text form (<see cref="Serialize"/>); '#' lines are comments.</summary>
    /// <exception cref="FormatException">A decision is not "task" or "task:choice".</exception>
    public static ModelTrace Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var decisions = new List<ModelDecision>();
        foreach (string line in text.Split('\n'))
        {
            if (line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            foreach (string item in line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                string[] parts = item.Split(':');
                if (parts.Length > 2
                    || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int task)
                    || !(parts.Length == 1 || int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                {
                    throw new FormatException($"'{item}' is not a decision (task or task:choice)");
                }

                decisions.Add(new ModelDecision(task, parts.Length == 1 ? -1 : int.Parse(parts[1], CultureInfo.InvariantCulture)));
            }
        }

        return new ModelTrace(decisions);
    }
}

/// <summary>An execution that violated a property.</summary>
/// <param name="Violation">The first violation it reported.</param>
/// <param name="Trace">Its decisions (replay with <see cref="ModelChecker.Replay"/>).</param>
/// <param name="Preemptions">Its preemptions.</param>
/// <param name="Steps">Its scheduling steps (steps of concurrent tasks).</param>
/// <param name="PreemptionBound">The preemption bound of the search that found it (null: none).</param>
/// <param name="Minimal">True when every smaller preemption bound was searched to its end without a violation
/// (no execution with fewer preemptions shows any); false when a limit cut one of those searches or they were not run.</param>
public sealed record ModelCounterexample(Violation Violation, ModelTrace Trace, int Preemptions, int Steps, int? PreemptionBound, bool Minimal = false);

/// <summary>What a model-checking run explored and found.</summary>
/// <param name="Verdict">Complete, bounded, or a violation.</param>
/// <param name="Executions">Executions run to their end (each a different Mazurkiewicz trace when unbounded).</param>
/// <param name="SleepBlocked">Executions abandoned because every enabled task slept (equivalent to one explored already).</param>
/// <param name="StepBoundCuts">Executions cut by <see cref="ModelCheckOptions.MaxSteps"/>.</param>
/// <param name="PreemptionCuts">Alternatives the preemption bound kept from being explored.</param>
/// <param name="LimitReached">The execution or time limit that stopped the search, or null.</param>
/// <param name="PreemptionBound">The preemption bound of the search (null: none).</param>
/// <param name="NaiveInterleavings">The interleavings of the first execution's steps without reduction (the multinomial of its tasks' step counts).</param>
/// <param name="Elapsed">Wall-clock time.</param>
/// <param name="Counterexample">The violation with the fewest preemptions found, or null.</param>
public sealed record ModelCheckResult(
    ModelVerdict Verdict,
    long Executions,
    long SleepBlocked,
    long StepBoundCuts,
    long PreemptionCuts,
    string? LimitReached,
    int? PreemptionBound,
    double NaiveInterleavings,
    TimeSpan Elapsed,
    ModelCounterexample? Counterexample)
{
    /// <summary>The naive interleaving count over the executions explored.</summary>
    public double Reduction => Executions > 0 ? NaiveInterleavings / Executions : 0;

    /// <summary>What cut the search, in words (empty when nothing did).</summary>
    public string Cuts
    {
        get
        {
            var cuts = new List<string>();
            if (PreemptionBound is int bound)
            {
                cuts.Add($"preemption bound {bound} ({PreemptionCuts} alternatives cut)");
            }

            if (StepBoundCuts > 0)
            {
                cuts.Add($"step bound ({StepBoundCuts} executions cut)");
            }

            if (LimitReached is not null)
            {
                cuts.Add(LimitReached);
            }

            return string.Join("; ", cuts);
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Verdict}: {Executions} executions ({SleepBlocked} sleep-blocked), naive {NaiveInterleavings:G3} (x{Reduction:G3}), {Elapsed.TotalSeconds:F2} s"
        + (Cuts.Length > 0 ? $", cut by {Cuts}" : string.Empty)
        + (Counterexample is { } c ? $"; {c.Violation.Property} with {c.Preemptions} preemptions in {c.Steps} steps" : string.Empty);
}

/// <summary>The program did not behave the same when replayed with the same decisions: it depends on
/// something other than its schedule and choices (time, an unseeded random, a thread-pool thread).</summary>
public sealed class NondeterministicProgramException(string message) : Exception(message);

/// <summary>Thrown inside the tasks of an execution the checker abandons (sleep-blocked, cut, deadlocked).</summary>
internal sealed class ExecutionAbandonedException() : Exception("the model checker abandoned this execution");
