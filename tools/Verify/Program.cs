using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ManagerVerified.Spec.Exploration;
using ManagerVerified.Spec.Scenarios;

namespace ManagerVerified.Verify;

/// <summary>
/// The verification campaign in one command: every scenario against the correct manager under several
/// Coyote strategies, then every planted bug (which must be caught, and replayed from its trace).
/// Exit codes: 0 all good; 1 the correct manager showed a bug; 2 a planted bug was missed or did not
/// replay; 3 both; 64 bad arguments.
/// </summary>
internal static class Program
{
    private static readonly ExplorationStrategy[] s_defaultStrategies =
        [ExplorationStrategy.Random, ExplorationStrategy.Prioritization, ExplorationStrategy.FairPrioritization, ExplorationStrategy.QLearning];

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    private const uint SeedSpacing = 1_000_003; // consecutive seeds give near-identical runs: space them widely

    private static int Main(string[] args)
    {
        Options options;
        try
        {
            options = Options.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"verify: {e.Message} (see --help)");
            return 64;
        }

        if (options.Help)
        {
            Console.WriteLine(Options.Usage);
            return 0;
        }

        if (options.List)
        {
            foreach (Scenario s in ScenarioCatalog.All)
            {
                Console.WriteLine($"{s.Name,-16} {s.Defaults,-40} {s.Description}");
            }

            foreach (PlantedBugCase b in ScenarioCatalog.PlantedBugs)
            {
                Console.WriteLine($"bug {b.Label,-26} on {b.ScenarioName,-16} -> {b.ExpectedProperty}");
            }

            return 0;
        }

        if (!Explorer.IsRewritten)
        {
            Console.Error.WriteLine("verify: the harness is not rewritten for Coyote; build with the CoyoteRewrite target (dotnet run does).");
            return 64;
        }

        if (options.Replay is not null)
        {
            return ReplayTrace(options.Replay);
        }

        Directory.CreateDirectory(options.Output);
        var rows = new List<Row>();
        int exit = 0;
        var total = Stopwatch.StartNew();

        if (!options.BugsOnly)
        {
            Console.WriteLine($"Correct manager: {options.Iterations} iterations per scenario and strategy");
            foreach (Scenario scenario in ScenarioCatalog.All.Where(options.Matches))
            {
                foreach (ExplorationStrategy strategy in options.Strategies ?? s_defaultStrategies)
                {
                    ScenarioParameters p = options.Apply(scenario.Defaults with { TagBits = null });
                    ExplorationResult r = Explorer.Run(new ExplorationRequest(scenario, p, strategy, options.Iterations, options.Seed));
                    var row = Row.Correct(r);
                    rows.Add(row);
                    Console.WriteLine(row.Line());
                    if (r.BugFound || r.UncontrolledInvocations.Count > 0)
                    {
                        exit |= 1;
                        WriteTrace(options, row, r);
                    }
                }
            }
        }

        if (!options.CorrectOnly)
        {
            Console.WriteLine($"Planted bugs: budget {options.BugBudget} iterations, {options.Seeds} seed(s) each");
            foreach (PlantedBugCase bug in ScenarioCatalog.PlantedBugs.Where(b => options.Matches(b.Scenario)))
            {
                foreach (ExplorationStrategy strategy in options.BugStrategies(bug))
                {
                    var found = new List<ExplorationResult>();
                    bool replayed = true;
                    for (uint i = 0; i < options.Seeds; i++)
                    {
                        var request = new ExplorationRequest(bug.Scenario, options.Apply(bug.Parameters), strategy, options.BugBudget, options.Seed + (i * SeedSpacing));
                        ExplorationResult r = Explorer.Run(request);
                        found.Add(r);
                        if (i == 0 && r.BugFound)
                        {
                            ExplorationResult replay = Explorer.Replay(request, r.Trace!);
                            replayed = replay.BugReport == r.BugReport;
                        }
                    }

                    var row = Row.Planted(bug, strategy, found, replayed);
                    rows.Add(row);
                    Console.WriteLine(row.Line());
                    if (found[0].BugFound)
                    {
                        WriteTrace(options, row, found[0]);
                    }

                    if (!row.Ok)
                    {
                        exit |= 2;
                    }
                }
            }
        }

        total.Stop();
        WriteReports(options, rows, total.Elapsed, exit);
        Console.WriteLine(exit == 0
            ? $"OK: correct manager clean, every planted bug caught and replayed ({total.Elapsed.TotalSeconds:F0} s). Reports in {options.Output}"
            : $"FAILED (exit {exit}): {((exit & 1) != 0 ? "the correct manager showed a bug; " : string.Empty)}{((exit & 2) != 0 ? "a planted bug was missed or did not replay; " : string.Empty)}reports in {options.Output}");
        return exit;
    }

    private static void WriteTrace(Options options, Row row, ExplorationResult result)
    {
        if (result.Trace is null)
        {
            return;
        }

        string name = $"{row.Name}.{row.Strategy}".Replace('/', '-');
        string path = Path.Combine(options.Output, "traces", name + ".trace.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, result.Trace);
        File.WriteAllText(Path.ChangeExtension(path, null) + ".case.json", JsonSerializer.Serialize(new TraceCase(result.Request.Scenario.Name, result.Request.Parameters)));
        row.TraceFile = path;
        row.ReplayCommand = $"dotnet run --project tools/Verify -- --replay {path}";
    }

    private static void WriteReports(Options options, List<Row> rows, TimeSpan elapsed, int exit)
    {
        File.WriteAllText(Path.Combine(options.Output, "report.json"), JsonSerializer.Serialize(new { exit, seconds = elapsed.TotalSeconds, rows }, s_json));
        var md = new StringBuilder();
        md.AppendLine("| kind | scenario / bug | configuration | strategy | iterations | bugs | detection (min/median/max) | replayed | seconds | it/s |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (Row r in rows)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Kind} | {r.Name} | {r.Configuration} | {r.Strategy} | {r.Iterations} | {r.Bugs} | {r.Detection} | {r.Replayed} | {r.Seconds:F2} | {r.PerSecond:F0} |");
        }

        File.WriteAllText(Path.Combine(options.Output, "report.md"), md.ToString());
    }

    private static int ReplayTrace(string path)
    {
        string casePath = path.EndsWith(".trace.json", StringComparison.Ordinal) ? path[..^".trace.json".Length] + ".case.json" : path + ".case.json";
        if (!File.Exists(casePath))
        {
            Console.Error.WriteLine($"verify: no case file '{casePath}' beside the trace (it names the scenario and parameters)");
            return 64;
        }

        TraceCase? traceCase = JsonSerializer.Deserialize<TraceCase>(File.ReadAllText(casePath));
        if (traceCase is null)
        {
            Console.Error.WriteLine($"verify: '{casePath}' is not a case file");
            return 64;
        }

        var request = new ExplorationRequest(ScenarioCatalog.Get(traceCase.Scenario), traceCase.Parameters, ExplorationStrategy.Random, 1);
        ExplorationResult result = Explorer.Replay(request, File.ReadAllText(path));
        Console.WriteLine(result.BugFound ? $"reproduced: {result.BugReport}" : "the trace did not reproduce a bug");
        return result.BugFound ? 0 : 2;
    }

    internal sealed record TraceCase(string Scenario, ScenarioParameters Parameters);
}
