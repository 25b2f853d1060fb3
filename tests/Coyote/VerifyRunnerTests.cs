using ManagerVerified.Harness.Scenarios;
using ManagerVerified.Harness.Exploration;
using ManagerVerified.Spec.Checking;
using System.Text.Json;
using ManagerVerified.Verify;

namespace ManagerVerified.Tests.Coyote;

/// <summary>The verification runner: arguments, shards, reports, merge, and one end-to-end run on a tiny budget.</summary>
public sealed class VerifyRunnerTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "mv-verify-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = Campaign.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--scenario", "no-such-scenario")]
    [InlineData("--shard", "2/2")]
    [InlineData("--shard", "x")]
    [InlineData("--shard", "0/0")]
    [InlineData("--tag-bits", "5")]
    [InlineData("--iterations", "-3")]
    [InlineData("--iterations")]
    [InlineData("--replay", "/no/such/trace.trace.json")]
    [InlineData("--strategy", "random,chaos")]
    [InlineData("--correct-only", "--bugs-only")]
    [InlineData("--merge")]
    public void BadInput_OneLineError_ExitUsage(params string[] args)
    {
        (int exit, string output, string error) = Run(args);
        Assert.Equal(Campaign.ExitUsage, exit);
        Assert.Equal(string.Empty, output);
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("verify: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_MissingReport_ExitUsage()
    {
        (int exit, _, string error) = Run("--merge", "/no/such/report.json", "--out", _folder);
        Assert.Equal(Campaign.ExitUsage, exit);
        Assert.Contains("no report", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_And_List_Exit0()
    {
        Assert.Contains("--shard", Run("--help").Out, StringComparison.Ordinal);
        (int exit, string output, _) = Run("--list");
        Assert.Equal(0, exit);
        Assert.Contains("wraparound", output, StringComparison.Ordinal);
        Assert.Contains("NarrowTagWraps", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Parse_ReadsEveryKnob()
    {
        Options o = Options.Parse(["--iterations", "7", "--bug-budget", "9", "--seeds", "4", "--seed", "11", "--strategy", "pct,q-learning",
            "--scenario", "churn", "--capacity", "3", "--tasks", "2", "--operations", "5", "--tag-bits", "2", "--time-budget", "30", "--shard", "1/3", "--out", "x"]);
        Assert.Equal((7u, 9u, 4u, 11u), (o.Iterations, o.BugBudget, o.Seeds, o.Seed));
        Assert.Equal([Harness.Exploration.ExplorationStrategy.Prioritization, Harness.Exploration.ExplorationStrategy.QLearning], o.Strategies!);
        Assert.Equal(("churn", 3, 2, 5, 2, 30), (o.Scenario, o.Capacity, o.Tasks, o.Operations, o.TagBits, o.TimeBudget));
        Assert.Equal((1, 3, "x"), (o.Shard, o.ShardCount, o.Output));
    }

    [Theory]
    [InlineData(10u, 3)]
    [InlineData(1u, 1)]
    [InlineData(2u, 5)]
    [InlineData(64u, 7)]
    public void SeedIndices_ShardsPartitionTheSeeds(uint seeds, int count)
    {
        var all = new List<uint>();
        for (int shard = 0; shard < count; shard++)
        {
            IReadOnlyList<uint> mine = Campaign.SeedIndices(seeds, shard, count);
            Assert.All(mine, j => Assert.Equal(shard, (int)(j % (uint)count)));
            all.AddRange(mine);
        }

        Assert.Equal(Enumerable.Range(0, (int)seeds).Select(j => (uint)j), all.Order());
        Assert.Equal(Campaign.SeedIndices(seeds, 0, count), Campaign.SeedIndices(seeds, 0, count)); // deterministic
    }

    [Fact]
    public void Report_WriteReadMerge_PoolsSeedRunsAndKeepsVerdict()
    {
        Report a = Sample(0, caught: true);
        Report b = Sample(1, caught: false);
        a.Write(Path.Combine(_folder, "a"));
        b.Write(Path.Combine(_folder, "b"));
        Report merged = Report.MergeAll([Report.Read(Path.Combine(_folder, "a", "report.json")), Report.Read(Path.Combine(_folder, "b", "report.json"))]);

        Row row = Assert.Single(merged.Rows);
        Assert.Equal([0u, 1u], row.Runs.Select(r => r.SeedIndex));
        Assert.Equal(25, row.Iterations);
        Assert.Equal("10/10/10 (1/2)", row.Detection);
        Assert.Equal(0, merged.ExitCode); // caught in one seed and replayed: caught
        Assert.Equal(Campaign.ExitPlantedBugMissed, b.ExitCode); // alone, the second shard missed it
        Assert.Contains("| planted | Bug |", File.ReadAllText(Path.Combine(_folder, "a", "report.md")), StringComparison.Ordinal);
    }

    private static Report Sample(uint seedIndex, bool caught) => new()
    {
        Seconds = 1,
        Shards = [$"{seedIndex}/2"],
        Rows =
        [
            new Row
            {
                Kind = RowKind.Planted, Name = "Bug", Scenario = "churn", Configuration = "c", Strategy = ExplorationStrategy.Random, ExpectedProperty = SpecProperty.AbaSafety,
                Runs = [new SeedRun(seedIndex, 7919 + seedIndex, caught ? 10 : 15, 0.5, caught ? SpecProperty.AbaSafety : null, caught ? "ABA safety violated" : null, caught, caught ? true : null, null, 0)],
            },
        ],
    };

    [Fact]
    public void EndToEnd_TinyBudget_Exit0_ReportAndReplayableTraces()
    {
        (int exit, string output, _) = Run("--scenario", "churn", "--iterations", "20", "--bug-budget", "2000", "--out", _folder);
        Assert.True(exit == 0, output);
        Assert.Contains("OK: correct manager clean", output, StringComparison.Ordinal);

        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "report.json")));
        JsonElement rows = json.RootElement.GetProperty("Rows");
        // 4 strategies; each planted bug under PCT, and under random where random is expected to find it.
        int plantedRows = Harness.Scenarios.ScenarioCatalog.PlantedBugs.Where(b => b.Scenario == ScenarioCatalog.Churn).Sum(b => b.RandomFinds ? 2 : 1);
        Assert.Equal(4 + plantedRows, rows.GetArrayLength());
        string[] traces = Directory.GetFiles(Path.Combine(_folder, "traces"), "*.trace.json");
        Assert.Equal(plantedRows, traces.Length);
        Assert.Contains("--replay", File.ReadAllText(Path.Combine(_folder, "report.md")), StringComparison.Ordinal);

        (int replayExit, string replayOut, _) = Run("--replay", traces[0]);
        Assert.Equal(0, replayExit);
        Assert.Contains("reproduced: ABA safety violated", replayOut, StringComparison.Ordinal);
    }

    [Fact]
    public void EndToEnd_ShardsThenMerge_SameVerdictAsOneRun()
    {
        string s0 = Path.Combine(_folder, "s0");
        string s1 = Path.Combine(_folder, "s1");
        Assert.Equal(0, Run("--scenario", "churn", "--bugs-only", "--seeds", "3", "--shard", "0/2", "--out", s0).Exit);
        Assert.Equal(0, Run("--scenario", "churn", "--bugs-only", "--seeds", "3", "--shard", "1/2", "--out", s1).Exit);
        (int exit, string output, _) = Run("--merge", Path.Combine(s0, "report.json"), Path.Combine(s1, "report.json"), "--out", _folder);
        Assert.Equal(0, exit);
        Report merged = Report.Read(Path.Combine(_folder, "report.json"));
        Assert.All(merged.Rows, r => Assert.Equal([0u, 1u, 2u], r.Runs.Select(run => run.SeedIndex)));
        Assert.Contains("TagZeroBits", output, StringComparison.Ordinal);
    }

    [Fact]
    public void EndToEnd_CorrectManagerWithNarrowTag_ExitsWithCorrectManagerBug()
    {
        // --tag-bits 0 turns the correct-manager runs into the ABA: the runner must fail with exit 1.
        (int exit, string output, _) = Run("--scenario", "churn", "--correct-only", "--tasks", "4", "--operations", "2", "--tag-bits", "0",
            "--strategy", "prioritization", "--iterations", "500", "--out", _folder);
        Assert.Equal(Campaign.ExitCorrectManagerBug, exit);
        Assert.Contains("ABA safety violated", output, StringComparison.Ordinal);
    }
}

/// <summary>The runner's --exhaustive mode: the model checker's verdicts, its traces and their replay.</summary>
public sealed class ExhaustiveRunnerTests : IDisposable
{
    private static readonly JsonSerializerOptions s_json = new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "mv-exhaustive-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static (int Exit, string Out) Run(params string[] args)
    {
        var output = new StringWriter();
        int exit = Campaign.Run(args, output, new StringWriter());
        return (exit, output.ToString());
    }

    [Fact]
    public void CorrectManager_OneSize_CompleteAndReported()
    {
        (int exit, string output) = Run("--exhaustive", "--scenario", "churn", "--capacity", "1", "--tasks", "2", "--operations", "1", "--out", _folder);

        Assert.True(exit == 0, output);
        Assert.Contains(" Complete ", output, StringComparison.Ordinal);
        ExhaustiveRow row = Assert.Single(JsonSerializer.Deserialize<List<ExhaustiveRow>>(File.ReadAllText(Path.Combine(_folder, "exhaustive.json")), s_json)!);
        Assert.Equal(Harness.ModelChecking.ModelVerdict.Complete, row.Verdict);
        Assert.True(row.Executions > 1 && row.NaiveInterleavings > row.Executions, $"{row.Executions} of {row.NaiveInterleavings}");
    }

    [Fact]
    public void NarrowTag_FoundWithTwoPreemptions_TraceReplaysInReadableSteps()
    {
        (int exit, string output) = Run("--exhaustive", "--scenario", "aba-window", "--capacity", "3", "--tasks", "2", "--operations", "1", "--tag-bits", "1", "--out", _folder);

        Assert.True(exit == 0, output);
        Assert.Contains("ABA safety: 2 preemptions", output, StringComparison.Ordinal);
        string trace = Assert.Single(Directory.GetFiles(Path.Combine(_folder, "traces"), "*" + Exhaustive.ModelTraceExtension));
        (int replayExit, string steps) = Run("--replay", trace);
        Assert.True(replayExit == 0, steps);
        Assert.Contains("reproduced: ABA safety violated", steps, StringComparison.Ordinal);
        Assert.Contains("task 2  TryStore", steps, StringComparison.Ordinal);
        Assert.Contains("<-- AbaSafety", steps, StringComparison.Ordinal);
    }

    [Fact]
    public void ProductionTag_AtTheSameSize_NoViolation_ButATimeBudgetMakesItBounded()
    {
        (int exit, string output) = Run("--exhaustive", "--scenario", "aba-window", "--capacity", "3", "--tasks", "2", "--operations", "1", "--max-executions", "50", "--out", _folder);

        Assert.True(exit == 0, output);
        Assert.Contains(" Bounded ", output, StringComparison.Ordinal);
        Assert.Contains("cut by execution limit 50", output, StringComparison.Ordinal);
    }
}
