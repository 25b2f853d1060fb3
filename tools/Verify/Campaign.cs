using System.Diagnostics;
using System.Text.Json;
using ManagerVerified.Harness.Checking;
using ManagerVerified.Harness.Exploration;
using ManagerVerified.Spec.Checking;
using ManagerVerified.Harness.Scenarios;

namespace ManagerVerified.Verify;

/// <summary>
/// The verification campaign: every scenario against the correct manager under several Coyote
/// strategies, then every planted bug, which must be caught and replayed from its trace.
/// </summary>
internal static class Campaign
{
    /// <summary>The correct manager showed a bug (or an uncontrolled invocation).</summary>
    public const int ExitCorrectManagerBug = 1;

    /// <summary>A planted bug was not caught, or its trace did not replay.</summary>
    public const int ExitPlantedBugMissed = 2;

    /// <summary>Bad arguments or input files.</summary>
    public const int ExitUsage = 64;

    public static readonly ExplorationStrategy[] DefaultStrategies =
        [ExplorationStrategy.Random, ExplorationStrategy.Prioritization, ExplorationStrategy.FairPrioritization, ExplorationStrategy.QLearning];

    /// <summary>Consecutive seeds give near-identical runs (the engine increments the seed per iteration): space them widely.</summary>
    public const uint SeedSpacing = 1_000_003;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        Options options;
        try
        {
            options = Options.Parse(args);
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"verify: {e.Message} (see --help)");
            return ExitUsage;
        }

        if (options.Help)
        {
            output.WriteLine(Options.Usage);
            return 0;
        }

        if (options.List)
        {
            List(output);
            return 0;
        }

        if (options.Merge.Count > 0)
        {
            return Merge(options, output, error);
        }

        if (options.Exhaustive && !options.Mutants)
        {
            return Exhaustive.Run(options, output);
        }

        if (options.Replay?.EndsWith(Exhaustive.ModelTraceExtension, StringComparison.Ordinal) == true)
        {
            return Replay(options.Replay, output, error); // the model checker needs no rewriting
        }

        if (!Explorer.IsRewritten)
        {
            error.WriteLine("verify: the harness is not rewritten for Coyote; build with the CoyoteRewrite target (dotnet run does).");
            return ExitUsage;
        }

        if (options.Mutants)
        {
            return Mutants.MutantRunner.Run(options, output, error);
        }

        return options.Replay is not null ? Replay(options.Replay, output, error) : Explore(options, output);
    }

    /// <summary>The seed indices this shard runs: index j of 0..seeds-1 belongs to shard j mod count.</summary>
    public static IReadOnlyList<uint> SeedIndices(uint seeds, int shard, int count) =>
        Enumerable.Range(0, (int)seeds).Where(j => j % count == shard).Select(j => (uint)j).ToArray();

    /// <summary>The seed of index <paramref name="index"/>.</summary>
    public static uint SeedOf(uint firstSeed, uint index) => unchecked(firstSeed + (index * SeedSpacing));

    private static void List(TextWriter output)
    {
        foreach (Scenario s in ScenarioCatalog.All)
        {
            output.WriteLine($"{s.Name,-16} {s.Defaults,-40} {s.Description}");
        }

        foreach (PlantedBugCase b in ScenarioCatalog.PlantedBugs)
        {
            output.WriteLine($"bug {b.Label,-26} on {b.Scenario.Name,-16} -> {b.ExpectedProperty}");
        }
    }

    private static int Explore(Options options, TextWriter output)
    {
        Directory.CreateDirectory(options.Output);
        var rows = new List<Row>();
        var total = Stopwatch.StartNew();
        IReadOnlyList<uint> seeds = SeedIndices(options.Seeds, options.Shard, options.ShardCount);
        string shardNote = options.ShardCount > 1 ? $", shard {options.Shard}/{options.ShardCount} (seed indices {string.Join(",", seeds)})" : string.Empty;

        if (!options.BugsOnly)
        {
            output.WriteLine($"Correct manager: {options.Iterations} iterations per scenario, strategy and seed{shardNote}");
            foreach (Scenario scenario in ScenarioCatalog.All.Where(options.Matches))
            {
                foreach (ExplorationStrategy strategy in options.Strategies ?? DefaultStrategies)
                {
                    ScenarioParameters p = options.Apply(scenario.Defaults with { TagBits = options.TagBits });
                    var row = new Row { Kind = RowKind.Correct, Name = scenario.Name, Scenario = scenario.Name, Configuration = p.ToString(), Strategy = strategy };
                    foreach (uint index in seeds)
                    {
                        var request = new ExplorationRequest(scenario, p, strategy, options.Iterations, SeedOf(options.Seed, index), options.Monitors, TimeBudgetSeconds: options.TimeBudget, CheckLinearizability: options.Linearizability);
                        ExplorationResult r = Explorer.Run(request);
                        row.Runs.Add(SeedRun.From(index, r, expected: null, replayed: null, WriteTrace(options, row, index, r)));
                        RecordTimeline(row, request, r);
                    }

                    rows.Add(row);
                    output.WriteLine(row.Line());
                }
            }
        }

        if (!options.CorrectOnly)
        {
            output.WriteLine($"Planted bugs: budget {options.BugBudget} iterations per seed{shardNote}");
            foreach (PlantedBugCase bug in ScenarioCatalog.PlantedBugs.Where(b => options.Matches(b.Scenario)))
            {
                foreach (ExplorationStrategy strategy in options.BugStrategies(bug))
                {
                    ScenarioParameters p = options.Apply(bug.Parameters);
                    // With the named monitors off, the linearizability checker alone must report the bug.
                    SpecProperty expected = options.Monitors == Harness.Checking.MonitorSet.None ? SpecProperty.Linearizability : bug.ExpectedProperty;
                    var row = new Row { Kind = RowKind.Planted, Name = bug.Label, Scenario = bug.Scenario.Name, Configuration = p.ToString(), Strategy = strategy, ExpectedProperty = expected };
                    foreach (uint index in seeds)
                    {
                        var request = new ExplorationRequest(bug.Scenario, p, strategy, options.BugBudget, SeedOf(options.Seed, index), options.Monitors, TimeBudgetSeconds: options.TimeBudget, CheckLinearizability: options.Linearizability);
                        ExplorationResult r = Explorer.Run(request);
                        bool? replayed = r.BugFound ? Explorer.Replay(request, r.Trace!).Bug == r.Bug : null;
                        row.Runs.Add(SeedRun.From(index, r, expected, replayed, WriteTrace(options, row, index, r)));
                        RecordTimeline(row, request, r);
                    }

                    rows.Add(row);
                    output.WriteLine(row.Line());
                }
            }
        }

        total.Stop();
        var report = new Report { Seconds = total.Elapsed.TotalSeconds, Shards = [$"{options.Shard}/{options.ShardCount}"], Rows = rows };
        report.Write(options.Output);
        HtmlReport.Write(options.Output, report, HtmlReport.Collect(report));
        output.WriteLine();
        output.Write(report.Table());
        int exit = report.ExitCode;
        output.WriteLine(Summary(exit, total.Elapsed, options.Output));
        return exit;
    }

    private static string Summary(int exit, TimeSpan elapsed, string folder) => exit == 0
        ? $"OK: correct manager clean, every planted bug caught and replayed ({elapsed.TotalSeconds:F0} s). Reports in {folder}"
        : $"FAILED (exit {exit}): {((exit & ExitCorrectManagerBug) != 0 ? "the correct manager showed a bug; " : string.Empty)}{((exit & ExitPlantedBugMissed) != 0 ? "a planted bug was missed or did not replay; " : string.Empty)}reports in {folder}";

    /// <summary>Replays the bug of the row's last run once more, recording every seam step, and writes the
    /// timeline report.html draws beside its trace.</summary>
    private static void RecordTimeline(Row row, ExplorationRequest request, ExplorationResult result)
    {
        SeedRun run = row.Runs[^1];
        if (result.Trace is null || run.TraceFile is null)
        {
            return;
        }

        StepLog log = Explorer.RecordSteps(request, result.Trace, out Violation? reproduced);
        BugTimeline.From(row, run, log, reproduced?.Property == result.Bug?.Property).Write(BugTimeline.PathFor(run.TraceFile));
    }

    private static string? WriteTrace(Options options, Row row, uint seedIndex, ExplorationResult result)
    {
        if (result.Trace is null)
        {
            return null;
        }

        string name = $"{row.Name}.{row.Strategy}.seed{seedIndex}".Replace('/', '-');
        string path = Path.Combine(options.Output, "traces", name + ".trace.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, result.Trace);
        File.WriteAllText(CasePath(path), JsonSerializer.Serialize(new TraceCase(result.Request.Scenario.Name, result.Request.Parameters, result.Request.Monitors)));
        return path;
    }

    private static string CasePath(string tracePath) =>
        tracePath.EndsWith(".trace.json", StringComparison.Ordinal) ? tracePath[..^".trace.json".Length] + ".case.json" : tracePath + ".case.json";

    private static int Replay(string path, TextWriter output, TextWriter error)
    {
        string casePath = CasePath(path);
        if (!File.Exists(casePath))
        {
            error.WriteLine($"verify: no case file '{casePath}' beside the trace (it names the scenario and parameters)");
            return ExitUsage;
        }

        TraceCase? traceCase = JsonSerializer.Deserialize<TraceCase>(File.ReadAllText(casePath));
        if (traceCase?.Parameters is null)
        {
            error.WriteLine($"verify: '{casePath}' is not a case file");
            return ExitUsage;
        }

        if (path.EndsWith(Exhaustive.ModelTraceExtension, StringComparison.Ordinal))
        {
            return Exhaustive.Replay(path, traceCase, output);
        }

        var request = new ExplorationRequest(ScenarioCatalog.Get(traceCase.Scenario), traceCase.Parameters, ExplorationStrategy.Random, 1, Monitors: traceCase.Monitors);
        ExplorationResult result = Explorer.Replay(request, File.ReadAllText(path));
        output.WriteLine(result.BugFound ? $"reproduced: {result.BugReport}" : "the trace did not reproduce a bug");
        return result.BugFound ? 0 : ExitPlantedBugMissed;
    }

    private static int Merge(Options options, TextWriter output, TextWriter error)
    {
        var reports = new List<Report>();
        foreach (string path in options.Merge)
        {
            if (!File.Exists(path))
            {
                error.WriteLine($"verify: no report at '{path}'");
                return ExitUsage;
            }

            reports.Add(Report.Read(path));
        }

        // A shard's timelines travel with its report (a CI artifact is downloaded elsewhere): collect them
        // from each report's own traces folder.
        var timelines = new List<BugTimeline>();
        for (int i = 0; i < reports.Count; i++)
        {
            timelines.AddRange(HtmlReport.Collect(reports[i], Path.GetDirectoryName(Path.GetFullPath(options.Merge[i]))));
        }

        Report merged = Report.MergeAll(reports);
        Directory.CreateDirectory(options.Output);
        merged.Write(options.Output);
        HtmlReport.Write(options.Output, merged, timelines);
        output.Write(merged.Table());
        output.WriteLine(Summary(merged.ExitCode, TimeSpan.FromSeconds(merged.Seconds), options.Output));
        return merged.ExitCode;
    }

    internal sealed record TraceCase(string Scenario, ScenarioParameters Parameters, Harness.Checking.MonitorSet Monitors = Harness.Checking.MonitorSet.All);
}
