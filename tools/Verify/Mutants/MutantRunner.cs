using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ManagerVerified.Harness.Exploration;
using ManagerVerified.Harness.ModelChecking;
using ManagerVerified.Harness.Scenarios;
using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Verify.Mutants;

/// <summary>What the default test suite did to one mutant.</summary>
internal enum MutantOutcome
{
    /// <summary>The harness (monitors, race detector, linearizability) reported it.</summary>
    KilledByHarness,

    /// <summary>The harness did not, the unit tests did.</summary>
    KilledByUnitTests,

    /// <summary>The mutated source does not build because one of the repository's analyzers reports it (MV0100: shared
    /// state touched around the concurrency seam): a checker caught it at compile time.</summary>
    KilledByAnalyzer,

    /// <summary>Nothing failed.</summary>
    Survived,

    /// <summary>The catalog argues that no test can kill it.</summary>
    Equivalent,

    /// <summary>The mutated source does not build.</summary>
    DoesNotBuild,
}

/// <summary>One strategy's first report against a mutant.</summary>
internal sealed record StrategyKill(ExplorationStrategy Strategy, string? Scenario, long Iterations, SpecProperty? Property);

/// <summary>The model checker's first report against a mutant: the first configuration (smallest first) that showed it.</summary>
internal sealed record ModelKill(string Scenario, ScenarioParameters Parameters, SpecProperty Property, int Preemptions, int Steps, long Executions, double Seconds);

/// <summary>One line of the kill matrix.</summary>
internal sealed record MutantResult(string Id, MutantKind Kind, string File, string Invariant, MutantOutcome Outcome, IReadOnlyList<StrategyKill> Strategies, bool? Replayed, string? FirstReport, string? UnitFailures, double Seconds, ModelKill? Model = null)
{
    public bool Ok => Outcome is MutantOutcome.KilledByHarness or MutantOutcome.KilledByUnitTests or MutantOutcome.KilledByAnalyzer or MutantOutcome.Equivalent && Replayed != false;
}

/// <summary>
/// Applies each catalog mutant to a copy of src/Manager, builds it, and runs what the default
/// <c>dotnet test</c> runs against it: the harness first (this runner's own rewritten build with the
/// mutant's ManagerVerified.dll in place of the real one: every scenario x strategy x the suite's
/// iterations), then, for a survivor, the unit tests. Prints the kill matrix.
/// </summary>
internal static class MutantRunner
{
    /// <summary>Iterations per scenario and strategy: the same as tests/Coyote's CorrectManagerTests.</summary>
    public const uint SuiteIterations = 200;

    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    private static readonly TimeSpan s_childBound = TimeSpan.FromMinutes(10);

    /// <summary>Tests that build or read the repository itself cannot run from a copied output folder.</summary>
    private const string UnitFilter = "FullyQualifiedName!~SampleTests&FullyQualifiedName!~HangDetectionTests&FullyQualifiedName!~ReadmeExampleTests&FullyQualifiedName!~DocReferenceTests&FullyQualifiedName!~WorkflowTests";

    /// <summary>With --exhaustive: one size of the command line (--capacity, --tasks, --operations,
    /// --preemption-bound) instead of the catalog's, passed to every mutant's run.</summary>
    private static string[] s_sizeArguments = [];

    public static int Run(Options options, TextWriter output, TextWriter error)
    {
        s_sizeArguments =
        [
            .. options.Capacity is int c ? new[] { "--capacity", c.ToString(CultureInfo.InvariantCulture) } : [],
            .. options.Tasks is int t ? new[] { "--tasks", t.ToString(CultureInfo.InvariantCulture) } : [],
            .. options.Operations is int o ? new[] { "--operations", o.ToString(CultureInfo.InvariantCulture) } : [],
            .. options.PreemptionBound is int b ? new[] { "--preemption-bound", b.ToString(CultureInfo.InvariantCulture) } : [],
        ];
        string? root = MutantCatalog.FindRepositoryRoot(AppContext.BaseDirectory) ?? MutantCatalog.FindRepositoryRoot(Directory.GetCurrentDirectory());
        if (root is null)
        {
            error.WriteLine("verify: --mutants needs the repository (ManagerVerified.sln) above the runner or the working directory");
            return Campaign.ExitUsage;
        }

        IReadOnlyList<Mutant> catalog = MutantCatalog.Load(root);
        List<Mutant> selected = options.MutantIds is null ? [.. catalog] : [.. catalog.Where(m => options.MutantIds.Contains(m.Id))];
        if (options.MutantIds is not null && selected.Count != options.MutantIds.Count)
        {
            error.WriteLine($"verify: unknown mutant id(s): {string.Join(", ", options.MutantIds.Except(catalog.Select(m => m.Id)))}");
            return Campaign.ExitUsage;
        }

        ExplorationStrategy[] strategies = options.Strategies ?? Campaign.DefaultStrategies;
        uint iterations = options.IterationsSet ? options.Iterations : SuiteIterations;
        string work = Path.Combine(Path.GetTempPath(), "mv-mutants-" + Guid.NewGuid().ToString("N")[..8]);
        var total = Stopwatch.StartNew();
        var results = new List<MutantResult>();
        try
        {
            CopySources(root, work);
            string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            string unitOutput = Path.Combine(root, "tests", "Unit", "bin", configuration, "net10.0");
            string harnessOutput = HarnessOutput(root, configuration);
            bool haveUnit = File.Exists(Path.Combine(unitOutput, "ManagerVerified.Tests.Unit.dll"));
            output.WriteLine(options.Exhaustive
                ? $"Mutants: {selected.Count} of {catalog.Count}; harness: the model checker over the {(options.Sizes ?? ExhaustiveSizes.Suite) switch { ExhaustiveSizes.Suite => "test suite's", ExhaustiveSizes.Published => "published", _ => "larger" }} sizes (smallest first, {ModelBudgetSeconds(options)} s each at most); then {(haveUnit ? "the unit tests" : "no unit tests (build tests/Unit to include them)")} for survivors"
                : $"Mutants: {selected.Count} of {catalog.Count}; harness: every scenario x {string.Join(",", strategies)} x {iterations} iterations; then {(haveUnit ? "the unit tests" : "no unit tests (build tests/Unit to include them)")} for survivors");
            foreach (Mutant mutant in selected)
            {
                MutantResult result = RunOne(mutant, root, work, harnessOutput, strategies, iterations, haveUnit ? unitOutput : null, options.Exhaustive ? ModelBudgetSeconds(options) : null, (options.Sizes ?? ExhaustiveSizes.Suite).ToString().ToLowerInvariant(), options.Scenario);
                results.Add(result);
                output.WriteLine(Line(result));
            }
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        Directory.CreateDirectory(options.Output);
        File.WriteAllText(Path.Combine(options.Output, "mutants.json"), JsonSerializer.Serialize(results, s_indented));
        string table = options.Exhaustive ? ModelTable(results) : Table(results, strategies);
        File.WriteAllText(Path.Combine(options.Output, "mutants.md"), table);
        output.WriteLine();
        output.Write(table);
        int bad = results.Count(r => !r.Ok);
        output.WriteLine(bad == 0
            ? $"OK: every mutant killed (or argued equivalent), every harness kill replayed ({total.Elapsed.TotalSeconds:F0} s). Matrix in {options.Output}/mutants.md"
            : $"FAILED: {bad} mutant(s) survived, did not build or did not replay ({total.Elapsed.TotalSeconds:F0} s). Matrix in {options.Output}/mutants.md");
        return bad == 0 ? 0 : Campaign.ExitPlantedBugMissed;
    }

    /// <summary>A rewritten build of this runner that can be started on its own: this process's folder when
    /// it is the runner's, else tools/Verify's output (when the runner runs inside the test host).</summary>
    private static string HarnessOutput(string root, string configuration)
    {
        const string Config = "ManagerVerified.Verify.runtimeconfig.json";
        return File.Exists(Path.Combine(AppContext.BaseDirectory, Config))
            ? AppContext.BaseDirectory
            : Path.Combine(root, "tools", "Verify", "bin", configuration, "net10.0");
    }

    /// <summary>With --exhaustive: the model checker's time budget per configuration (--time-budget, default 30 s).</summary>
    private static int ModelBudgetSeconds(Options options) => options.TimeBudget ?? 30;

    private static MutantResult RunOne(Mutant mutant, string root, string work, string harnessOutput, ExplorationStrategy[] strategies, uint iterations, string? unitOutput, int? modelBudget, string sizes, string? scenario)
    {
        var clock = Stopwatch.StartNew();
        if (mutant.Equivalent is not null)
        {
            // Still applied: an equivalent mutant whose edit no longer matches must be noticed.
            _ = mutant.Apply(File.ReadAllText(Path.Combine(root, mutant.File)));
            return new MutantResult(mutant.Id, mutant.Kind, mutant.File, mutant.Invariant, MutantOutcome.Equivalent, [], null, mutant.Equivalent, null, 0);
        }

        string target = Path.Combine(work, mutant.File);
        string pristine = File.ReadAllText(Path.Combine(root, mutant.File));
        File.WriteAllText(target, mutant.Apply(pristine));
        try
        {
            string project = Path.Combine(work, "src", "Manager", "ManagerVerified.csproj");
            (int buildExit, string buildOutput) = Child.Run(work, "dotnet", s_childBound, "build", project, "-c", "Release", "-p:TreatWarningsAsErrors=false", "-p:CoyoteRewrite=false", "--nologo", "-v", "q");
            if (buildExit != 0)
            {
                MutantOutcome outcome = AnalyzerError(buildOutput) is not null ? MutantOutcome.KilledByAnalyzer : MutantOutcome.DoesNotBuild;
                string error = (AnalyzerError(buildOutput) ?? FirstError(buildOutput)).Replace(work + Path.DirectorySeparatorChar, string.Empty, StringComparison.Ordinal);
                return new MutantResult(mutant.Id, mutant.Kind, mutant.File, mutant.Invariant, outcome, [], null, error, null, clock.Elapsed.TotalSeconds);
            }

            string dll = Path.Combine(work, "src", "Manager", "bin", "Release", "net10.0", "ManagerVerified.dll");
            string run = Path.Combine(work, "runs", mutant.Id);
            string harness = Path.Combine(run, "harness");
            CopyFolder(harnessOutput, harness);
            File.Copy(dll, Path.Combine(harness, "ManagerVerified.dll"), overwrite: true);
            string report = Path.Combine(run, "out");
            string verify = Path.Combine(harness, "ManagerVerified.Verify.dll");
            List<StrategyKill> kills = [];
            string? firstReport = null, trace = null;
            ModelKill? model = null;
            if (modelBudget is int budget)
            {
                string[] only = [.. scenario is null ? [] : new[] { "--scenario", scenario }, .. s_sizeArguments];
                Child.Run(run, "dotnet", s_childBound, [verify, "--exhaustive", "--sizes", sizes, "--correct-only", "--stop-at-first-bug",
                    "--time-budget", budget.ToString(CultureInfo.InvariantCulture), "--out", report, .. only]);
                model = ModelKillOf(Path.Combine(report, "exhaustive.json"), out firstReport, out trace);
                if (model is not null)
                {
                    bool replayed = trace is not null && Child.Run(run, "dotnet", s_childBound, verify, "--replay", trace).Exit == 0;
                    return new MutantResult(mutant.Id, mutant.Kind, mutant.File, mutant.Invariant, MutantOutcome.KilledByHarness, kills, replayed, firstReport, null, clock.Elapsed.TotalSeconds, model);
                }
            }
            else
            {
                Child.Run(run, "dotnet", s_childBound, verify, "--correct-only", "--iterations", iterations.ToString(CultureInfo.InvariantCulture),
                    "--strategy", string.Join(",", strategies.Select(Short)), "--out", report);
                kills = Kills(Path.Combine(report, "report.json"), strategies, out firstReport, out trace);
            }

            if (kills.Any(k => k.Property is not null))
            {
                bool replayed = trace is not null && Child.Run(run, "dotnet", s_childBound, verify, "--replay", trace).Exit == 0;
                return new MutantResult(mutant.Id, mutant.Kind, mutant.File, mutant.Invariant, MutantOutcome.KilledByHarness, kills, replayed, firstReport, null, clock.Elapsed.TotalSeconds);
            }

            if (unitOutput is not null)
            {
                string unit = Path.Combine(run, "unit");
                CopyFolder(unitOutput, unit);
                File.Copy(dll, Path.Combine(unit, "ManagerVerified.dll"), overwrite: true);
                (int unitExit, string unitLog) = Child.Run(run, "dotnet", s_childBound, "test", Path.Combine(unit, "ManagerVerified.Tests.Unit.dll"),
                    "--filter", UnitFilter, "--blame-hang-timeout", "60s", "--blame-hang-dump-type", "none");
                if (unitExit != 0)
                {
                    string failures = string.Join("; ", unitLog.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("Failed ", StringComparison.Ordinal) || l.StartsWith("ManagerVerified.Tests", StringComparison.Ordinal)).Distinct().Take(3));
                    return new MutantResult(mutant.Id, mutant.Kind, mutant.File, mutant.Invariant, MutantOutcome.KilledByUnitTests, kills, null, null, failures.Length > 0 ? failures : "test run failed", clock.Elapsed.TotalSeconds);
                }
            }

            return new MutantResult(mutant.Id, mutant.Kind, mutant.File, mutant.Invariant, MutantOutcome.Survived, kills, null, null, null, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            File.WriteAllText(target, pristine);
        }
    }

    /// <summary>The first error one of the repository's own analyzers (MV...) reported in <paramref name="buildOutput"/>, or null.</summary>
    internal static string? AnalyzerError(string buildOutput) =>
        buildOutput.Split('\n').FirstOrDefault(l => l.Contains(": error MV", StringComparison.Ordinal))?.Trim();

    private static ModelKill? ModelKillOf(string path, out string? firstReport, out string? trace)
    {
        firstReport = null;
        trace = null;
        if (!File.Exists(path))
        {
            return null;
        }

        ExhaustiveRow? row = JsonSerializer.Deserialize<List<ExhaustiveRow>>(File.ReadAllText(path), s_indented)?.FirstOrDefault(r => r.Found is not null);
        if (row?.Found is not SpecProperty property)
        {
            return null;
        }

        firstReport = FirstLine(row.Details ?? property.Title());
        trace = row.TraceFile;
        return new ModelKill(row.Scenario, row.Parameters, property, row.Preemptions ?? 0, row.Steps ?? 0, row.Executions, row.Seconds);
    }

    private static string ModelTable(IReadOnlyList<MutantResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| mutant | kind | invariant | found at (smallest size first) | property | preemptions | steps | executions | seconds | replayed | outcome |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (MutantResult r in results)
        {
            string at = r.Model is { } m ? $"{m.Scenario} cap {m.Parameters.Capacity}, {m.Parameters.Tasks}x{m.Parameters.Operations}{(m.Parameters.Shards > 1 ? $", {m.Parameters.Shards} shards" : string.Empty)}" : "-";
            string property = r.Model?.Property.Title() ?? r.Outcome switch
            {
                MutantOutcome.KilledByUnitTests => "unit tests: " + r.UnitFailures,
                MutantOutcome.KilledByAnalyzer => "analyzer: " + r.FirstReport,
                MutantOutcome.Equivalent => "equivalent: " + r.FirstReport,
                _ => "-",
            };
            sb.Append(CultureInfo.InvariantCulture, $"| {r.Id} | {r.Kind} | {r.Invariant} | {at} | {property.Replace("|", "/", StringComparison.Ordinal)} | {r.Model?.Preemptions.ToString(CultureInfo.InvariantCulture) ?? "-"} | {r.Model?.Steps.ToString(CultureInfo.InvariantCulture) ?? "-"} | {r.Model?.Executions.ToString(CultureInfo.InvariantCulture) ?? "-"} | {(r.Model is { } k ? k.Seconds.ToString("F1", CultureInfo.InvariantCulture) : "-")} | {(r.Replayed is bool b ? (b ? "yes" : "NO") : "-")} | {r.Outcome} |").AppendLine();
        }

        return sb.ToString();
    }

    private static List<StrategyKill> Kills(string reportPath, ExplorationStrategy[] strategies, out string? firstReport, out string? trace)
    {
        firstReport = null;
        trace = null;
        var kills = new List<StrategyKill>();
        Report? report = File.Exists(reportPath) ? Report.Read(reportPath) : null;
        foreach (ExplorationStrategy strategy in strategies)
        {
            // The first scenario (in catalog order) whose exploration under this strategy reported a bug.
            Row? row = report?.Rows.FirstOrDefault(r => r.Strategy == strategy && r.FirstReport is not null);
            SeedRun? seed = row?.Runs.FirstOrDefault(r => r.BugReport is not null);
            kills.Add(new StrategyKill(strategy, row?.Scenario, seed?.Iterations ?? 0, seed?.BugProperty));
            if (seed is not null && firstReport is null)
            {
                firstReport = FirstLine(seed.BugReport!);
                trace = seed.TraceFile;
            }
        }

        return kills;
    }


    private static string Line(MutantResult r) => r.Outcome switch
    {
        MutantOutcome.KilledByHarness when r.Model is { } m => $"  killed   {r.Id,-36} model checker: {m.Property.Title()} at {m.Scenario} cap {m.Parameters.Capacity} {m.Parameters.Tasks}x{m.Parameters.Operations}, {m.Preemptions} preemptions, {m.Steps} steps, {m.Executions} executions  replay {(r.Replayed == true ? "yes" : "NO")}  ({r.Seconds:F0} s)",
        MutantOutcome.KilledByHarness => $"  killed   {r.Id,-36} {string.Join("  ", r.Strategies.Select(k => $"{Short(k.Strategy)}:{(k.Property is null ? "-" : k.Iterations.ToString(CultureInfo.InvariantCulture))}"))}  {r.Strategies.First(k => k.Property is not null).Property!.Value.Title()}  replay {(r.Replayed == true ? "yes" : "NO")}  ({r.Seconds:F0} s)",
        MutantOutcome.KilledByUnitTests => $"  killed   {r.Id,-36} unit tests: {r.UnitFailures}  ({r.Seconds:F0} s)",
        MutantOutcome.KilledByAnalyzer => $"  killed   {r.Id,-36} analyzer: {r.FirstReport}  ({r.Seconds:F0} s)",
        MutantOutcome.Equivalent => $"  equiv    {r.Id,-36} {r.FirstReport}",
        MutantOutcome.DoesNotBuild => $"  NOBUILD  {r.Id,-36} {r.FirstReport}",
        _ => $"  SURVIVED {r.Id,-36} ({r.Seconds:F0} s)",
    };

    private static string Table(IReadOnlyList<MutantResult> results, ExplorationStrategy[] strategies)
    {
        var sb = new StringBuilder();
        sb.Append("| mutant | kind | file | invariant | ").Append(string.Join(" | ", strategies.Select(Short))).AppendLine(" | reported by | replayed | outcome |");
        sb.Append("|---|---|---|---|").Append(string.Concat(strategies.Select(_ => "---|"))).AppendLine("---|---|---|");
        foreach (MutantResult r in results)
        {
            string cells = string.Join(" | ", strategies.Select(s => r.Strategies.FirstOrDefault(k => k.Strategy == s) is { Property: not null } k ? $"{k.Iterations} ({k.Scenario})" : "-"));
            string by = r.Outcome switch
            {
                MutantOutcome.KilledByHarness => string.Join(", ", r.Strategies.Where(k => k.Property is not null).Select(k => k.Property!.Value.Title()).Distinct()),
                MutantOutcome.KilledByUnitTests => r.UnitFailures ?? "unit tests",
                MutantOutcome.KilledByAnalyzer => "analyzer: " + r.FirstReport,
                MutantOutcome.Equivalent => "equivalent: " + r.FirstReport,
                _ => "-",
            };
            sb.Append(CultureInfo.InvariantCulture, $"| {r.Id} | {r.Kind} | {Path.GetFileName(r.File)} | {r.Invariant} | {cells} | {by.Replace("|", "/", StringComparison.Ordinal)} | {(r.Replayed is bool b ? (b ? "yes" : "NO") : "-")} | {r.Outcome} |").AppendLine();
        }

        return sb.ToString();
    }

    private static string Short(ExplorationStrategy strategy) => strategy switch
    {
        ExplorationStrategy.Prioritization => "pct",
        ExplorationStrategy.FairPrioritization => "fair-pct",
        _ => Options.StrategyName(strategy),
    };

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    private static string FirstError(string buildOutput) =>
        buildOutput.Split('\n').FirstOrDefault(l => l.Contains("error", StringComparison.Ordinal))?.Trim() ?? "build failed";

    private static void CopySources(string root, string work)
    {
        foreach (string file in new[] { "Directory.Build.props", "Directory.Build.targets", "global.json", ".editorconfig", "README.md", "src/Directory.Build.props" })
        {
            string from = Path.Combine(root, file);
            if (File.Exists(from))
            {
                string to = Path.Combine(work, file);
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(from, to);
            }
        }

        CopyFolder(Path.Combine(root, "src", "Manager"), Path.Combine(work, "src", "Manager"), skip: ["bin", "obj"]);

        // The analyzers the build runs on src/Manager (Directory.Build.props): without them a mutant that touches shared
        // state around the seam (MV0100) would build, the reference to a missing project being only a warning.
        CopyFolder(Path.Combine(root, "src", "Analyzers"), Path.Combine(work, "src", "Analyzers"), skip: ["bin", "obj"]);
    }

    private static void CopyFolder(string from, string to, string[]? skip = null)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }

        foreach (string dir in Directory.GetDirectories(from))
        {
            string name = Path.GetFileName(dir);
            if (skip is null || !skip.Contains(name))
            {
                CopyFolder(dir, Path.Combine(to, name), skip);
            }
        }
    }
}

/// <summary>Runs a child process with a bound; a child still running at the bound is killed with its tree.</summary>
internal static class Child
{
    public static (int Exit, string Output) Run(string workingDirectory, string fileName, TimeSpan bound, params string[] args)
    {
        var start = new ProcessStartInfo(fileName) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(bound))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, stdout.Result + stderr.Result + $"\n(killed after {bound})");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
