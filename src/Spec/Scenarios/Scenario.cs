using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Spec.Scenarios;

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

    /// <summary>Runs the scenario once: builds the checked manager, runs the tasks, then checks quiescence.</summary>
    public async Task RunAsync(ScenarioParameters parameters, IScheduler scheduler, ViolationSink sink, MonitorSet monitors = MonitorSet.All)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        var context = new VerificationContext(scheduler, sink, parameters.Capacity, parameters.Bug, monitors);
        var run = new ScenarioRun(parameters, context);
        await ExecuteAsync(run).ConfigureAwait(false);
        run.CheckQuiescent();
    }

    /// <summary>The tasks of the scenario.</summary>
    protected abstract Task ExecuteAsync(ScenarioRun run);

    /// <inheritdoc />
    public override string ToString() => Name;
}
