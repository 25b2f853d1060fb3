using ManagerVerified.Spec.Model;
using ManagerVerified.Harness.Checking;
using ManagerVerified.Spec.Checking;
using ManagerVerified.Spec.Linearizability;

namespace ManagerVerified.Harness.Scenarios;

/// <summary>
/// A concurrent workload over a checked manager, parameterized by <see cref="ScenarioParameters"/>.
/// The same scenario objects run under Coyote (tests/Coyote, the verification runner) and on real threads.
/// </summary>
public abstract class Scenario
{
    /// <summary>The scenario's name (lower-case, dashes), used by filters and reports.</summary>
    public abstract string Name { get; }

    /// <summary>One line saying what the scenario does and what it is for.</summary>
    public abstract string Description { get; }

    /// <summary>The parameters of the standard run.</summary>
    public abstract ScenarioParameters Defaults { get; }

    /// <summary>Runs the scenario once: builds the checked manager, runs the tasks, checks quiescence,
    /// then (unless turned off) checks that the recorded history is linearizable.</summary>
    public async Task RunAsync(ScenarioParameters parameters, IScheduler scheduler, ViolationSink sink, MonitorSet monitors = MonitorSet.All, bool checkLinearizability = true, StepLog? steps = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(sink);
        parameters.Validate();
        if (steps is not null)
        {
            steps.Clear();
            sink = new StepLog.MarkingSink(sink, steps);
        }

        var context = new VerificationContext(scheduler, sink, parameters.Capacity, parameters.Bug, monitors, parameters.FirstGeneration) { Steps = steps };
        var run = new ScenarioRun(parameters, context, checkLinearizability ? new HistoryRecorder() : null);
        await ExecuteAsync(run).ConfigureAwait(false);
        steps?.EndOfRun();
        run.CheckQuiescent();
        if (run.Recorder.IsOn)
        {
            History history = run.Recorder.Snapshot();
            var initial = new SpecState(parameters.Capacity, run.Manager.Id, parameters.FirstGeneration);
            if (!LinearizabilityChecker.Check(history, initial).Linearizable)
            {
                History minimal = LinearizabilityChecker.MinimalViolation(history, initial) ?? history;
                sink.Report(SpecProperty.Linearizability, $"no sequential order explains this history ({minimal.Steps.Count} of {history.Steps.Count} steps shown):{Environment.NewLine}{minimal.Render()}");
            }
        }
    }

    /// <summary>The tasks of the scenario.</summary>
    protected abstract Task ExecuteAsync(ScenarioRun run);

    /// <inheritdoc />
    public override string ToString() => Name;
}
