using System.Globalization;
using ManagerVerified.Harness.Exploration;
using ManagerVerified.Harness.ModelChecking;
using ManagerVerified.Harness.Scenarios;

namespace ManagerVerified.Verify;

/// <summary>Command-line options of the verification runner.</summary>
internal sealed class Options
{
    public const string Usage = """
        ManagerVerified verification runner: every scenario against the correct manager under Coyote,
        then every planted bug, which must be caught and replayed.

        usage: dotnet run --project tools/Verify -- [options]
          --iterations N      iterations per correct-manager scenario, strategy and seed (default 300)
          --time-budget S     also stop each exploration after S seconds (with --exhaustive: each configuration,
                              default 60)
          --bug-budget N      iteration budget to catch each planted bug (default 20000)
          --seeds N           seeds per planted bug and strategy, spaced widely (default 1)
          --seed N            first seed (default 7919)
          --strategy S[,S]    random, prioritization, fair-prioritization, q-learning, probabilistic, delay-bounding
          --scenario NAME     only this scenario (and the planted bugs it exposes)
          --capacity N        override the scenarios' capacity (1-64)
          --tasks N           override the scenarios' task count (1-16)
          --operations N      override the scenarios' operations per task (1-10000)
          --tag-bits N        a narrow head tag of 0-4 bits (the correct manager then shows the ABA)
          --diagnostic        the scenarios with diagnostic mode's bookkeeping on (guards released through their record)
          --shard I/N         run only seed indices j with j mod N = I (0 <= I < N), for a CI matrix
          --merge F [F...]    merge shard reports (report.json files) into --out and exit with their verdict
          --no-linearizability  do not record and check each iteration's history
          --monitors none|all   turn the named monitors off (the linearizability checker alone) or on
          --correct-only      skip the planted bugs
          --bugs-only         skip the correct manager
          --out DIR           report folder (default verify-output)
          --replay FILE       replay a trace written by a previous run (FILE.trace.json; FILE.model.trace: the
                              model checker's, printed as readable steps)
          --exhaustive        the model checker instead of Coyote: every interleaving of the scenarios at small
                              sizes (the published table, or the one size --capacity/--tasks/--operations give)
          --preemption-bound N  with --exhaustive: at most N preemptions per execution (the verdict is then bounded)
          --max-executions N  with --exhaustive: stop each configuration after N executions (bounded)
          --stop-at-first-bug with --exhaustive: stop at the first configuration whose verdict is wrong
          --sizes suite|published|beyond  with --exhaustive: the test suite's sizes; the published table, every
                              size the correct manager is complete at (the default; with --mutants, suite is);
                              or the larger sizes beyond it (bounded: 60 s each unless --time-budget)
          --mutants           run the mutant catalog (tests/Mutants) against the default suite's harness: kill matrix
                              (with --exhaustive: against the model checker at the suite's sizes, smallest first,
                              or at the one size --scenario/--capacity/--tasks/--operations/--preemption-bound give)
          --mutant ID[,ID]    only these catalog mutants (implies --mutants)
          --list              list the scenarios and planted bugs
          --help              this text
        exit codes: 0 ok; 1 the correct manager showed a bug; 2 a planted bug was missed or did not replay; 3 both; 64 bad arguments
        """;

    public uint Iterations { get; private set; } = 300;

    public bool IterationsSet { get; private set; }

    public uint BugBudget { get; private set; } = 20_000;

    public uint Seeds { get; private set; } = 1;

    public uint Seed { get; private set; } = 7919;

    public ExplorationStrategy[]? Strategies { get; private set; }

    public string? Scenario { get; private set; }

    public int? Capacity { get; private set; }

    public int? Tasks { get; private set; }

    public int? Operations { get; private set; }

    public int? TagBits { get; private set; }

    public bool DiagnosticMode { get; private set; }

    public int? TimeBudget { get; private set; }

    public int Shard { get; private set; }

    public int ShardCount { get; private set; } = 1;

    public List<string> Merge { get; } = [];

    public bool CorrectOnly { get; private set; }

    public bool Mutants { get; private set; }

    public List<string>? MutantIds { get; private set; }

    public bool Linearizability { get; private set; } = true;

    public Harness.Checking.MonitorSet Monitors { get; private set; } = Harness.Checking.MonitorSet.All;

    public bool BugsOnly { get; private set; }

    public string Output { get; private set; } = "verify-output";

    public string? Replay { get; private set; }

    public bool List { get; private set; }

    public bool Exhaustive { get; private set; }

    public int? PreemptionBound { get; private set; }

    public long? MaxExecutions { get; private set; }

    public bool StopAtFirstBug { get; private set; }

    /// <summary>--sizes: null for the mode's default (published; suite with --mutants).</summary>
    public ExhaustiveSizes? Sizes { get; private set; }

    public bool Help { get; private set; }

    public bool Matches(Scenario scenario) => Scenario is null || string.Equals(scenario.Name, Scenario, StringComparison.OrdinalIgnoreCase);

    public IEnumerable<ExplorationStrategy> BugStrategies(PlantedBugCase bug) =>
        Strategies ?? (bug.RandomFinds ? [ExplorationStrategy.Random, ExplorationStrategy.Prioritization] : [ExplorationStrategy.Prioritization]);

    public ScenarioParameters Apply(ScenarioParameters p) => p with
    {
        Capacity = Capacity ?? p.Capacity,
        Tasks = Tasks ?? p.Tasks,
        Operations = Operations ?? p.Operations,
        TagBits = TagBits ?? p.TagBits,
        DiagnosticMode = DiagnosticMode || p.DiagnosticMode,
    };

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            uint Count(uint min, uint max)
            {
                string v = Value();
                return uint.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out uint n) && n >= min && n <= max
                    ? n
                    : throw new ArgumentException($"{arg} takes a whole number from {min} to {max}, not '{v}'");
            }

            switch (arg)
            {
                case "--iterations": o.Iterations = Count(1, 10_000_000); o.IterationsSet = true; break;
                case "--bug-budget": o.BugBudget = Count(1, 10_000_000); break;
                case "--seeds": o.Seeds = Count(1, 1000); break;
                case "--seed": o.Seed = Count(0, uint.MaxValue / 2); break;
                case "--strategy": o.Strategies = Value().Split(',').Select(ParseStrategy).ToArray(); break;
                case "--scenario": o.Scenario = ScenarioCatalog.Get(Value()).Name; break;
                case "--capacity": o.Capacity = (int)Count(1, 64); break;
                case "--tasks": o.Tasks = (int)Count(1, 16); break;
                case "--operations": o.Operations = (int)Count(1, 10_000); break;
                case "--tag-bits": o.TagBits = (int)Count(0, 4); break;
                case "--time-budget": o.TimeBudget = (int)Count(1, 86_400); break;
                case "--shard": (o.Shard, o.ShardCount) = ParseShard(Value()); break;
                case "--merge":
                    while (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    {
                        o.Merge.Add(args[++i]);
                    }

                    if (o.Merge.Count == 0)
                    {
                        throw new ArgumentException("--merge needs at least one report.json");
                    }

                    break;
                case "--correct-only": o.CorrectOnly = true; break;
                case "--diagnostic": o.DiagnosticMode = true; break;
                case "--no-linearizability": o.Linearizability = false; break;
                case "--monitors":
                    o.Monitors = Value() switch
                    {
                        "none" => Harness.Checking.MonitorSet.None,
                        "all" => Harness.Checking.MonitorSet.All,
                        string other => throw new ArgumentException($"--monitors takes none or all, not '{other}'"),
                    };
                    break;
                case "--bugs-only": o.BugsOnly = true; break;
                case "--out": o.Output = Value(); break;
                case "--replay": o.Replay = Value(); break;
                case "--list": o.List = true; break;
                case "--exhaustive": o.Exhaustive = true; break;
                case "--stop-at-first-bug": o.StopAtFirstBug = true; break;
                case "--sizes":
                    o.Sizes = Value() switch
                    {
                        "suite" => ExhaustiveSizes.Suite,
                        "published" => ExhaustiveSizes.Published,
                        "beyond" => ExhaustiveSizes.Beyond,
                        string other => throw new ArgumentException($"--sizes takes suite, published or beyond, not '{other}'"),
                    };
                    break;
                case "--preemption-bound": o.PreemptionBound = (int)Count(0, 100); break;
                case "--max-executions": o.MaxExecutions = Count(1, uint.MaxValue / 2); break;
                case "--mutants": o.Mutants = true; break;
                case "--mutant": o.Mutants = true; o.MutantIds = [.. Value().Split(',')]; break;
                case "--help" or "-h" or "-?": o.Help = true; break;
                default: throw new ArgumentException($"unknown option '{arg}'");
            }
        }

        if (o.CorrectOnly && o.BugsOnly)
        {
            throw new ArgumentException("--correct-only and --bugs-only exclude each other");
        }

        if (o.Replay is not null && !File.Exists(o.Replay))
        {
            throw new ArgumentException($"no trace file at '{o.Replay}'");
        }

        return o;
    }

    /// <summary>Parses "I/N" with 0 &lt;= I &lt; N &lt;= 1000.</summary>
    public static (int Shard, int Count) ParseShard(string text)
    {
        string[] parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int shard)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            && count is >= 1 and <= 1000 && shard < count)
        {
            return (shard, count);
        }

        throw new ArgumentException($"--shard takes I/N with 0 <= I < N <= 1000, not '{text}'");
    }

    /// <summary>The name <c>--strategy</c> takes for <paramref name="strategy"/>.</summary>
    public static string StrategyName(ExplorationStrategy strategy) => strategy switch
    {
        ExplorationStrategy.Random => "random",
        ExplorationStrategy.Prioritization => "prioritization",
        ExplorationStrategy.FairPrioritization => "fair-prioritization",
        ExplorationStrategy.QLearning => "q-learning",
        ExplorationStrategy.Probabilistic => "probabilistic",
        ExplorationStrategy.DelayBounding => "delay-bounding",
        _ => throw new ArgumentOutOfRangeException(nameof(strategy)),
    };

    private static ExplorationStrategy ParseStrategy(string name) => name.ToLowerInvariant() switch
    {
        "random" => ExplorationStrategy.Random,
        "prioritization" or "pct" => ExplorationStrategy.Prioritization,
        "fair-prioritization" or "fair-pct" => ExplorationStrategy.FairPrioritization,
        "q-learning" or "qlearning" => ExplorationStrategy.QLearning,
        "probabilistic" => ExplorationStrategy.Probabilistic,
        "delay-bounding" => ExplorationStrategy.DelayBounding,
        _ => throw new ArgumentException($"unknown strategy '{name}'"),
    };
}
