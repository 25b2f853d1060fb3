using System.Globalization;
using System.Text;
using ManagerVerified.Harness.Checking;
using ManagerVerified.Harness.Scenarios;
using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Harness.ModelChecking;

/// <summary>One scenario configuration to model-check: the scenario, its parameters, and what is checked on every execution.</summary>
/// <param name="Scenario">The scenario.</param>
/// <param name="Parameters">Its parameters (a planted bug included).</param>
/// <param name="Monitors">The monitors installed on every execution.</param>
/// <param name="CheckLinearizability">Checks every execution's history.</param>
public sealed record ScenarioModelCheck(Scenario Scenario, ScenarioParameters Parameters, MonitorSet Monitors = MonitorSet.All, bool CheckLinearizability = true)
{
    /// <summary>The scenario as a model-checked program: every execution runs it whole (set-up, tasks, the
    /// quiescent checks, the linearizability check) and reports to the execution's sink.</summary>
    public ModelProgram Program(StepLog? steps = null) => (scheduler, sink) =>
        Scenario.RunAsync(Parameters, scheduler, sink, Monitors, CheckLinearizability, steps).GetAwaiter().GetResult();

    /// <summary>Explores every execution of the configuration (see <see cref="ModelChecker.Explore"/>).</summary>
    public ModelCheckResult Explore(ModelCheckOptions? options = null) => ModelChecker.Explore(Program(), options);

    /// <summary>The header line of this configuration's trace files.</summary>
    public string TraceHeader => $"{Scenario.Name} {Parameters}";

    /// <summary>Replays <paramref name="trace"/> recording every seam access; the violation it reproduced and its steps, readable.</summary>
    public (Violation? Violation, string Steps) Explain(ModelTrace trace)
    {
        var log = new StepLog();
        Violation? violation = ModelChecker.Replay(Program(log), trace);
        return (violation, Render(log));
    }

    /// <summary>One line per seam access: the step, the task, its operation, the access, the location and the value;
    /// a '>' marks a step where a task was preempted, and the line of the failing step says so.</summary>
    public static string Render(StepLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        IReadOnlySet<int> preempted = log.Preemptions();
        var text = new StringBuilder();
        foreach (SeamStep s in log.Steps)
        {
            text.Append(preempted.Contains(s.Index) ? "> " : "  ")
                .Append(CultureInfo.InvariantCulture, $"{s.Index,4}  task {s.Task}  {s.Operation,-28} {s.Access,-22} {s.Location,-14} {s.Value}")
                .Append(s.Waits ? "  (waits while unchanged)" : string.Empty)
                .AppendLine(log.FailedAt == s.Index ? $"   <-- {log.Failure?.Property}" : string.Empty);
        }

        if (log.Failure is { } failure)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{(log.FailedAtEnd ? "after every task finished" : "here")}: {failure.Property}: {failure.Details}");
        }

        return text.ToString();
    }
}
