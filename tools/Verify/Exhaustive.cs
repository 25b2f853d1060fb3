using System.Globalization;
using System.Text.Json;
using ManagerVerified.Harness.Checking;
using ManagerVerified.Harness.ModelChecking;
using ManagerVerified.Harness.Scenarios;
using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Verify;

/// <summary>One configuration's line of an exhaustive run (exhaustive.json).</summary>
internal sealed record ExhaustiveRow(
    string Scenario,
    ScenarioParameters Parameters,
    SpecProperty? ExpectedBug,
    ModelVerdict Verdict,
    long Executions,
    long SleepBlocked,
    double NaiveInterleavings,
    double Seconds,
    string Cuts,
    SpecProperty? Found,
    string? Details,
    int? Preemptions,
    int? Steps,
    string? TraceFile,
    int? PreemptionBound = null)
{
    /// <summary>The correct manager reported nothing; a planted bug reported what it must.</summary>
    public bool Ok => ExpectedBug is null ? Found is null : Found == ExpectedBug;
}

/// <summary>
/// <c>--exhaustive</c>: the model checker (no Coyote underneath) over the scenarios at small sizes. For
/// each: executions explored, the reduction against the naive interleaving count, seconds, and the verdict
/// (complete or bounded); every planted bug must be found, with its fewest-preemption counterexample
/// written as a trace (replay with --replay) and as readable steps.
/// </summary>
internal static class Exhaustive
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    public static int Run(Options options, TextWriter output)
    {
        Directory.CreateDirectory(options.Output);
        bool custom = options.Capacity is not null || options.Tasks is not null || options.Operations is not null || options.TagBits is not null;
        ExhaustiveSizes sizes = options.Sizes ?? ExhaustiveSizes.Published;
        var modelOptions = new ModelCheckOptions
        {
            PreemptionBound = options.PreemptionBound,
            MaxExecutions = options.MaxExecutions,
            TimeBudget = TimeSpan.FromSeconds(options.TimeBudget ?? (custom || sizes == ExhaustiveSizes.Beyond ? DefaultTimeBudgetSeconds : PublishedTimeBudgetSeconds)),
        };

        IEnumerable<ExhaustiveCase> cases = custom
            ? ScenarioCatalog.All.Where(options.Matches).Select(s => Custom(s, options))
            : ExhaustiveCatalog.Of(sizes).Where(c => options.Matches(c.Scenario) && (!options.CorrectOnly || c.ExpectedBug is null) && (!options.BugsOnly || c.ExpectedBug is not null));

        int exit = 0;
        var rows = new List<ExhaustiveRow>();
        output.WriteLine($"{"scenario",-24} {"size",-40} {"verdict",-9} {"executions",10} {"blocked",8} {"naive",9} {"reduction",9} {"seconds",8}  counterexample");
        foreach (ExhaustiveCase c in cases)
        {
            ExhaustiveRow row = Check(c, options, modelOptions);
            rows.Add(row);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{c.Scenario.Name,-24} {Size(c.Parameters) + (c.PreemptionBound is int pb ? $", <= {pb} preemptions" : string.Empty),-40} {row.Verdict,-9} {row.Executions,10} {row.SleepBlocked,8} {row.NaiveInterleavings,9:G3} {(row.Executions > 0 ? row.NaiveInterleavings / row.Executions : 0),9:G3} {row.Seconds,8:F1}  {(row.Found is { } p ? $"{p.Title()}: {row.Preemptions} preemptions, {row.Steps} steps ({row.TraceFile})" : string.Empty)}"));
            if (row.Verdict == ModelVerdict.Bounded)
            {
                output.WriteLine($"{string.Empty,-24} cut by {row.Cuts}");
            }

            if (!row.Ok)
            {
                output.WriteLine(c.ExpectedBug is null
                    ? $"  the correct manager violated {row.Found?.Title()}: {row.Details}"
                    : $"  expected {c.ExpectedBug.Value.Title()}, found {(row.Found?.Title() ?? "nothing")}");
                exit |= c.ExpectedBug is null ? Campaign.ExitCorrectManagerBug : Campaign.ExitPlantedBugMissed;
                if (options.StopAtFirstBug)
                {
                    break;
                }
            }
        }

        File.WriteAllText(Path.Combine(options.Output, "exhaustive.json"), JsonSerializer.Serialize(rows, s_json));
        return exit;
    }

    private static ExhaustiveRow Check(ExhaustiveCase c, Options options, ModelCheckOptions modelOptions)
    {
        var check = new ScenarioModelCheck(c.Scenario, c.Parameters, options.Monitors, options.Linearizability);
        ModelCheckResult result = check.Explore(modelOptions with { PreemptionBound = modelOptions.PreemptionBound ?? c.PreemptionBound });
        string? traceFile = null;
        if (result.Counterexample is { } counterexample)
        {
            string name = $"{c.Scenario.Name}-{c.Parameters.Capacity}c{c.Parameters.Tasks}t{c.Parameters.Operations}o{(c.Parameters.TagBits is int b ? $"-{b}b" : c.Parameters.Bug == PlantedBug.TagZeroBits ? "-0b" : string.Empty)}";
            traceFile = Path.Combine(options.Output, "traces", name + ModelTraceExtension);
            Directory.CreateDirectory(Path.GetDirectoryName(traceFile)!);
            File.WriteAllText(traceFile, counterexample.Trace.Serialize(check.TraceHeader));
            File.WriteAllText(traceFile + ".case.json", JsonSerializer.Serialize(new Campaign.TraceCase(c.Scenario.Name, c.Parameters, options.Monitors)));
            (_, string steps) = check.Explain(counterexample.Trace);
            File.WriteAllText(Path.ChangeExtension(traceFile, ".txt"), steps);
        }

        return new ExhaustiveRow(c.Scenario.Name, c.Parameters, c.ExpectedBug, result.Verdict, result.Executions, result.SleepBlocked, result.NaiveInterleavings,
            result.Elapsed.TotalSeconds, result.Cuts, result.Counterexample?.Violation.Property, result.Counterexample?.Violation.Details,
            result.Counterexample?.Preemptions, result.Counterexample?.Steps, traceFile, result.PreemptionBound);
    }

    /// <summary>A configuration beyond the published sizes (or one the command line gives) stops after this long
    /// unless --time-budget says otherwise (its verdict is then bounded).</summary>
    public const int DefaultTimeBudgetSeconds = 60;

    /// <summary>The published sizes and the suite's: a safety net only, each completes well within it.</summary>
    public const int PublishedTimeBudgetSeconds = 600;

    /// <summary>The extension of the model checker's trace files (the case file beside it: FILE.case.json).</summary>
    public const string ModelTraceExtension = ".model.trace";

    /// <summary>Replays a model-checker trace and prints its steps; 0 when it reproduced a violation.</summary>
    public static int Replay(string path, Campaign.TraceCase traceCase, TextWriter output)
    {
        var check = new ScenarioModelCheck(ScenarioCatalog.Get(traceCase.Scenario), traceCase.Parameters, traceCase.Monitors);
        (Violation? violation, string steps) = check.Explain(ModelTrace.Parse(File.ReadAllText(path)));
        output.Write(steps);
        output.WriteLine(violation is null ? "the trace did not reproduce a bug" : $"reproduced: {violation}");
        return violation is null ? Campaign.ExitPlantedBugMissed : 0;
    }

    /// <summary>One size of a scenario from the command line: the scenario's defaults, changed by the options;
    /// a narrow tag is the planted bug, whose ABA must be found.</summary>
    private static ExhaustiveCase Custom(Scenario scenario, Options options)
    {
        ScenarioParameters p = options.Apply(scenario.Defaults);
        p = p with { Shards = Math.Min(p.Shards, p.Capacity) };
        if (options.TagBits is int bits)
        {
            return new ExhaustiveCase(scenario, p with { Bug = bits == 0 ? PlantedBug.TagZeroBits : PlantedBug.NarrowTagWraps }, SpecProperty.AbaSafety);
        }

        return new ExhaustiveCase(scenario, p with { TagBits = null });
    }

    private static string Size(ScenarioParameters p) =>
        $"cap {p.Capacity}, {p.Tasks} tasks x {p.Operations} ops"
        + (p.TagBits is int bits ? $", {bits}-bit tag" : p.Bug == PlantedBug.TagZeroBits ? ", 0-bit tag" : string.Empty)
        + (p.Shards > 1 ? $", {p.Shards} shards" : string.Empty)
        + (p.DiagnosticMode ? ", diagnostic" : string.Empty);
}
