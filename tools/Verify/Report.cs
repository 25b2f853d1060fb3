using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ManagerVerified.Harness.Exploration;
using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Verify;

/// <summary>What one exploration of one seed found.</summary>
internal sealed record SeedRun(uint SeedIndex, uint Seed, long Iterations, double Seconds, SpecProperty? BugProperty, string? BugReport, bool Caught, bool? Replayed, string? TraceFile, int Uncontrolled)
{
    public static SeedRun From(uint index, ExplorationResult r, SpecProperty? expected, bool? replayed, string? traceFile) =>
        new(index, r.Request.Seed, r.IterationsRun, r.Elapsed.TotalSeconds, r.Bug?.Property, r.BugReport,
            expected is not null && r.Bug?.Property == expected,
            replayed, traceFile, r.UncontrolledInvocations.Count);
}

/// <summary>What a row of the campaign explores.</summary>
internal enum RowKind
{
    /// <summary>A scenario on the correct manager: no bug may be found.</summary>
    Correct,

    /// <summary>A planted configuration: its property must report it.</summary>
    Planted,
}

/// <summary>One line of the campaign's table: one scenario (or planted bug) under one strategy, over the seeds run.</summary>
internal sealed class Row
{
    public required RowKind Kind { get; init; }

    public required string Name { get; init; }

    public required string Scenario { get; init; }

    public required string Configuration { get; init; }

    public required ExplorationStrategy Strategy { get; init; }

    public SpecProperty? ExpectedProperty { get; init; }

    public List<SeedRun> Runs { get; init; } = [];

    public long Iterations => Runs.Sum(r => r.Iterations);

    public double Seconds => Runs.Sum(r => r.Seconds);

    public double PerSecond => Seconds > 0 ? Iterations / Seconds : 0;

    public int Bugs => Runs.Count(r => r.BugReport is not null);

    /// <summary>Correct rows: no bug and nothing uncontrolled in any seed. Planted rows: caught (by the
    /// expected property) in at least one seed, and every caught bug replayed.</summary>
    public bool Ok => Kind == RowKind.Correct
        ? Runs.All(r => r.BugReport is null && r.Uncontrolled == 0)
        : Runs.Any(r => r.Caught) && Runs.Where(r => r.Caught).All(r => r.Replayed == true);

    public string Detection
    {
        get
        {
            if (Kind == RowKind.Correct)
            {
                return "-";
            }

            List<long> hits = Runs.Where(r => r.Caught).Select(r => r.Iterations).Order().ToList();
            if (hits.Count == 0)
            {
                return $"not found ({Runs.Count} seeds)";
            }

            string spread = string.Create(CultureInfo.InvariantCulture, $"{hits[0]}/{hits[hits.Count / 2]}/{hits[^1]}");
            return hits.Count < Runs.Count ? $"{spread} ({hits.Count}/{Runs.Count})" : spread;
        }
    }

    public string Replayed => Kind == RowKind.Correct || !Runs.Any(r => r.Caught) ? "-" : Runs.Where(r => r.Caught).All(r => r.Replayed == true) ? "yes" : "NO";

    public string? FirstReport => Runs.Select(r => r.BugReport).FirstOrDefault(b => b is not null);

    public string? ReplayCommand => Runs.Select(r => r.TraceFile).FirstOrDefault(t => t is not null) is string trace
        ? $"dotnet run --project tools/Verify -- --replay {trace}"
        : null;

    public string Line() => Kind == RowKind.Correct
        ? string.Create(CultureInfo.InvariantCulture, $"  {(Ok ? "ok  " : "BUG ")} {Name,-16} {Strategy,-18} {Iterations,7} it {Seconds,7:F2} s {PerSecond,6:F0} it/s  {Configuration}{(FirstReport is null ? string.Empty : "\n       " + FirstLine(FirstReport) + "\n       replay: " + ReplayCommand)}")
        : string.Create(CultureInfo.InvariantCulture, $"  {(Ok ? "ok  " : "MISS")} {Name,-24} {Strategy,-14} caught at {Detection,-24} replay {Replayed,-3} {Seconds,6:F2} s  {FirstLine(FirstReport) ?? "no report"}");

    private static string? FirstLine(string? text) => text?.Split('\n')[0].TrimEnd();
}

/// <summary>A campaign's results: written as JSON and Markdown, read back and merged across shards.</summary>
internal sealed class Report
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    public double Seconds { get; init; }

    public List<string> Shards { get; init; } = [];

    public List<Row> Rows { get; init; } = [];

    public int ExitCode =>
        (Rows.Any(r => r.Kind == RowKind.Correct && !r.Ok) ? Campaign.ExitCorrectManagerBug : 0)
        | (Rows.Any(r => r.Kind == RowKind.Planted && !r.Ok) ? Campaign.ExitPlantedBugMissed : 0);

    public void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "report.json"), JsonSerializer.Serialize(this, s_json));
        File.WriteAllText(Path.Combine(folder, "report.md"), Table(withReplayCommands: true));
    }

    public static Report Read(string path) =>
        JsonSerializer.Deserialize<Report>(File.ReadAllText(path), s_json) ?? throw new JsonException($"'{path}' holds no report");

    /// <summary>Joins shard reports: rows with the same kind, name, configuration and strategy pool their seed runs.</summary>
    public static Report MergeAll(IEnumerable<Report> reports)
    {
        var list = reports.ToList();
        var rows = new List<Row>();
        foreach (var group in list.SelectMany(r => r.Rows).GroupBy(r => (r.Kind, r.Name, r.Configuration, r.Strategy)))
        {
            Row first = group.First();
            rows.Add(new Row
            {
                Kind = first.Kind,
                Name = first.Name,
                Scenario = first.Scenario,
                Configuration = first.Configuration,
                Strategy = first.Strategy,
                ExpectedProperty = first.ExpectedProperty,
                Runs = group.SelectMany(r => r.Runs).DistinctBy(r => r.SeedIndex).OrderBy(r => r.SeedIndex).ToList(),
            });
        }

        return new Report { Seconds = list.Sum(r => r.Seconds), Shards = list.SelectMany(r => r.Shards).ToList(), Rows = rows };
    }

    public string Table(bool withReplayCommands = false)
    {
        var md = new StringBuilder();
        md.AppendLine("| kind | scenario / bug | configuration | strategy | seeds | iterations | bugs | detection (min/median/max) | replayed | seconds | it/s |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (Row r in Rows)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Kind.ToString().ToLowerInvariant()} | {r.Name} | {r.Configuration} | {r.Strategy} | {r.Runs.Count} | {r.Iterations} | {r.Bugs} | {r.Detection} | {r.Replayed} | {r.Seconds:F2} | {r.PerSecond:F0} |");
        }

        foreach (Row r in Rows.Where(r => withReplayCommands && r.ReplayCommand is not null))
        {
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"- {r.Name} ({r.Strategy}): `{r.ReplayCommand}`");
        }

        return md.ToString();
    }
}
