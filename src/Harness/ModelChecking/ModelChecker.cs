using System.Diagnostics;
using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Harness.ModelChecking;

/// <summary>
/// A stateless model checker: explores every interleaving of a program's tasks up to equivalence
/// (source-DPOR with sleep sets, <see cref="ModelSearch"/>), runs the program's own checks on every
/// execution, and says honestly whether the search was complete or bounded. Nothing of Coyote runs
/// underneath: the program's scheduling points are the checked seam's, and this class decides at each of
/// them which task goes next.
/// </summary>
public static class ModelChecker
{
    /// <summary>Explores <paramref name="program"/>; stops at the first execution that violates a property, and
    /// then (unless turned off) searches with preemption bounds 0, 1, ... for the counterexample with the fewest preemptions.</summary>
    public static ModelCheckResult Explore(ModelProgram program, ModelCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        options ??= new ModelCheckOptions();
        var stopwatch = Stopwatch.StartNew();
        ModelCheckResult result = Search(program, options, options.PreemptionBound, stopwatch);
        if (result.Counterexample is { } found && options.MinimizeCounterexample)
        {
            // Each smaller bound gets the whole time budget again; the counterexample is minimal only when
            // every smaller bound was searched to its end without a violation.
            bool minimal = true;
            for (int bound = 0; bound < found.Preemptions; bound++)
            {
                ModelCheckResult bounded = Search(program, options with { MaxExecutions = null }, bound, Stopwatch.StartNew());
                if (bounded.Counterexample is not null)
                {
                    result = result with { Counterexample = bounded.Counterexample with { Minimal = minimal } };
                    break;
                }

                minimal &= bounded.LimitReached is null && bounded.StepBoundCuts == 0;
            }

            if (result.Counterexample == found)
            {
                result = result with { Counterexample = found with { Minimal = minimal } };
            }
        }

        return result with { Elapsed = stopwatch.Elapsed };
    }

    /// <summary>Runs the one execution <paramref name="trace"/> describes, with the step bounds it was found
    /// under (<paramref name="options"/>; null: the defaults); returns the first violation it reported, or null.</summary>
    /// <exception cref="NondeterministicProgramException">The program did not follow the trace.</exception>
    public static Violation? Replay(ModelProgram program, ModelTrace trace, ModelCheckOptions? options = null)
    {
        options ??= new ModelCheckOptions();
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(trace);
        var search = new ModelSearch(null, trace.Decisions);
        search.BeginExecution();
        var sink = new FirstViolationSink();
        using var execution = new ModelExecution(search, sink, options.MaxSteps, options.LivelockSteps);
        Run(program, execution, sink);
        search.EndExecution();
        return sink.First;
    }

    private static ModelCheckResult Search(ModelProgram program, ModelCheckOptions options, int? bound, Stopwatch stopwatch)
    {
        var search = new ModelSearch(bound);
        long executions = 0, sleepBlocked = 0, stepCuts = 0;
        double naive = 0;
        string? limit = null;
        TimeSpan start = stopwatch.Elapsed;
        while (true)
        {
            search.BeginExecution();
            var sink = new FirstViolationSink();
            using var execution = new ModelExecution(search, sink, options.MaxSteps, options.LivelockSteps);
            Run(program, execution, sink);
            switch (execution.Abandoned)
            {
                case ModelExecution.AbandonReason.SleepBlocked:
                    sleepBlocked++;
                    break;
                case ModelExecution.AbandonReason.StepBound:
                    stepCuts++;
                    break;
                default:
                    executions++;
                    break;
            }

            if (naive == 0)
            {
                naive = execution.NaiveInterleavings;
            }

            if (sink.First is { } violation)
            {
                var counterexample = new ModelCounterexample(violation, search.Trace(), search.Preemptions(), execution.Steps, bound);
                return new ModelCheckResult(ModelVerdict.Violation, executions, sleepBlocked, stepCuts, search.PreemptionCuts, null, bound, naive, stopwatch.Elapsed - start, counterexample);
            }

            bool more = search.EndExecution();
            if (!more)
            {
                break;
            }

            if (options.MaxExecutions is long most && executions + sleepBlocked + stepCuts >= most)
            {
                limit = $"execution limit {most}";
                break;
            }

            if (options.TimeBudget is TimeSpan budget && stopwatch.Elapsed >= budget)
            {
                limit = $"time limit {budget.TotalSeconds:F0} s";
                break;
            }
        }

        bool complete = bound is null && stepCuts == 0 && limit is null;
        return new ModelCheckResult(complete ? ModelVerdict.Complete : ModelVerdict.Bounded, executions, sleepBlocked, stepCuts, search.PreemptionCuts, limit, bound, naive, stopwatch.Elapsed - start, null);
    }

    private static void Run(ModelProgram program, ModelExecution execution, FirstViolationSink sink)
    {
        try
        {
            program(execution, sink);
        }
        catch (ExecutionAbandonedException)
        {
        }
        catch (AggregateException e) when (e.InnerExceptions.All(x => x is ExecutionAbandonedException))
        {
        }
        catch (NondeterministicProgramException)
        {
            throw;
        }
        catch (Exception e) when (execution.Abandoned is null)
        {
            sink.Report(SpecProperty.UnhandledException, $"the set-up threw {e}");
        }
    }

    /// <summary>Keeps the first violation of an execution and lets it run on (throwing inside the manager would leave locks held).</summary>
    private sealed class FirstViolationSink : ViolationSink
    {
        public Violation? First { get; private set; }

        public override void Report(Violation violation) => First ??= violation;
    }
}
