using System.Globalization;
using ManagerVerified.Spec.Exploration;
using ManagerVerified.Spec.Scenarios;

namespace ManagerVerified.Verify;

/// <summary>One line of the campaign's table.</summary>
internal sealed class Row
{
    public required string Kind { get; init; }

    public required string Name { get; init; }

    public required string Configuration { get; init; }

    public required string Strategy { get; init; }

    public long Iterations { get; init; }

    public int Bugs { get; init; }

    public string Detection { get; init; } = "-";

    public string Replayed { get; init; } = "-";

    public double Seconds { get; init; }

    public double PerSecond { get; init; }

    public string? Report { get; init; }

    public bool Ok { get; init; }

    public string? TraceFile { get; set; }

    public string? ReplayCommand { get; set; }

    public static Row Correct(ExplorationResult r) => new()
    {
        Kind = "correct",
        Name = r.Request.Scenario.Name,
        Configuration = r.Request.Parameters.ToString(),
        Strategy = r.Request.Strategy.ToString(),
        Iterations = r.IterationsRun,
        Bugs = r.BugFound ? 1 : 0,
        Seconds = r.Elapsed.TotalSeconds,
        PerSecond = r.IterationsPerSecond,
        Report = r.BugReport ?? (r.UncontrolledInvocations.Count > 0 ? "uncontrolled: " + string.Join(", ", r.UncontrolledInvocations) : null),
        Ok = !r.BugFound && r.UncontrolledInvocations.Count == 0,
    };

    public static Row Planted(PlantedBugCase bug, ExplorationStrategy strategy, List<ExplorationResult> runs, bool replayed)
    {
        List<long> hits = runs.Where(r => r.BugFound && r.BugReport!.Contains(bug.ExpectedProperty, StringComparison.Ordinal)).Select(r => r.IterationsRun).Order().ToList();
        bool firstCaught = runs[0].BugFound && runs[0].BugReport!.Contains(bug.ExpectedProperty, StringComparison.Ordinal);
        string detection = hits.Count == 0
            ? $"not found in {runs[0].Request.Iterations}"
            : string.Create(CultureInfo.InvariantCulture, $"{hits[0]}/{hits[hits.Count / 2]}/{hits[^1]}") + (hits.Count < runs.Count ? $" ({hits.Count}/{runs.Count} seeds)" : string.Empty);
        return new Row
        {
            Kind = "planted",
            Name = bug.Label,
            Configuration = $"{bug.ScenarioName} {bug.Parameters}",
            Strategy = strategy.ToString(),
            Iterations = runs.Sum(r => r.IterationsRun),
            Bugs = runs.Count(r => r.BugFound),
            Detection = detection,
            Replayed = firstCaught ? (replayed ? "yes" : "NO") : "-",
            Seconds = runs.Sum(r => r.Elapsed.TotalSeconds),
            PerSecond = runs.Sum(r => r.IterationsRun) / Math.Max(1e-9, runs.Sum(r => r.Elapsed.TotalSeconds)),
            Report = runs[0].BugReport,
            Ok = firstCaught && replayed,
        };
    }

    public string Line() => Kind == "correct"
        ? string.Create(CultureInfo.InvariantCulture, $"  {(Ok ? "ok  " : "BUG ")} {Name,-16} {Strategy,-18} {Iterations,6} it  {Seconds,6:F2} s  {PerSecond,6:F0} it/s  {Configuration}{(Report is null ? string.Empty : "\n       " + Report)}")
        : string.Create(CultureInfo.InvariantCulture, $"  {(Ok ? "ok  " : "MISS")} {Name,-24} {Strategy,-14} caught at {Detection,-28} replay {Replayed,-3} {Seconds,6:F2} s  -> {Report ?? "no report"}");
}
