using ManagerVerified.Harness.Checking;
using ManagerVerified.Harness.Scenarios;
using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Harness.ModelChecking;

/// <summary>One configuration the model checker explores, and the property it must report (null: none, the correct manager).</summary>
/// <param name="Scenario">The scenario.</param>
/// <param name="Parameters">Its parameters.</param>
/// <param name="ExpectedBug">The property a planted bug must violate, or null.</param>
/// <param name="MinimalPreemptions">For a planted bug: the fewest preemptions any execution needs to show it.</param>
/// <param name="PreemptionBound">A preemption bound for a size too large to explore whole (its verdict is then bounded), or null.</param>
public sealed record ExhaustiveCase(Scenario Scenario, ScenarioParameters Parameters, SpecProperty? ExpectedBug = null, int? MinimalPreemptions = null, int? PreemptionBound = null)
{
    /// <inheritdoc />
    public override string ToString() => $"{Scenario.Name} {Parameters}" + (PreemptionBound is int bound ? $" preemptions<={bound}" : string.Empty);
}

/// <summary>Which of <see cref="ExhaustiveCatalog"/>'s lists of sizes.</summary>
public enum ExhaustiveSizes
{
    /// <summary><see cref="ExhaustiveCatalog.Suite"/>: <c>dotnet test</c>'s.</summary>
    Suite,

    /// <summary><see cref="ExhaustiveCatalog.Published"/>: every size the correct manager is complete at.</summary>
    Published,

    /// <summary><see cref="ExhaustiveCatalog.Beyond"/>: larger sizes, explored as far as a bound allows.</summary>
    Beyond,
}

/// <summary>The sizes the model checker explores: <see cref="Suite"/> in <c>dotnet test</c> (about a minute and a
/// half together on 2 cores), <see cref="Published"/> in the runner's <c>--exhaustive</c> (the correct manager
/// complete at every one), <see cref="Beyond"/> with <c>--sizes beyond</c> (bounded verdicts); smallest first.
/// docs/verification.md has the tables, with the verdict and the executions of each.</summary>
public static class ExhaustiveCatalog
{
    // The suite's sizes the correct manager is complete at, smallest first (tasks, then operations, then slots).
    private static readonly ExhaustiveCase[] s_suiteComplete =
    [
        new(ScenarioCatalog.Churn, new(1, 2, 1)),
        new(ScenarioCatalog.Exhaustion, new(1, 2, 1)),
        new(ScenarioCatalog.ReadersWriter, new(1, 2, 1)),
        new(ScenarioCatalog.TimedWaits, new(1, 2, 1)),
        new(ScenarioCatalog.Wraparound, new(1, 2, 1)),
        new(ScenarioCatalog.EpochWrap, new(1, 2, 1, StartGeneration: ScenarioCatalog.EpochWrap.Defaults.StartGeneration)),
        new(ScenarioCatalog.PoisonedWrites, new(1, 2, 1)),
        new(ScenarioCatalog.PoisonedWrites, new(1, 2, 1, StartHold: (1L << 20) - 2)), // the first write's ticket is all ones
        new(ScenarioCatalog.CopyVersusWrite, new(1, 2, 1)),
        new(ScenarioCatalog.CopyVersusFree, new(1, 2, 1)),
        new(ScenarioCatalog.GuardCopies, new(1, 2, 1)),
        new(ScenarioCatalog.WriteGuardCopies, new(1, 2, 1)),
        new(ScenarioCatalog.CopyRaces, new(1, 2, 1)),
        new(ScenarioCatalog.ConcurrentConstruction, new(1, 2, 1)),
        new(ScenarioCatalog.LastGeneration, new(1, 2, 1, StartGeneration: ScenarioCatalog.LastGeneration.Defaults.StartGeneration)),
        new(ScenarioCatalog.ReaderLimit, new(1, 2, 1)),
        new(ScenarioCatalog.Churn, new(2, 2, 1)),
        new(ScenarioCatalog.Wraparound, new(2, 2, 1)),
        new(ScenarioCatalog.ShardedFreeList, new(2, 2, 1, Shards: 2)),
        new(ScenarioCatalog.ShardedFreeList, new(3, 2, 1, Shards: 2)),
        new(ScenarioCatalog.StealWindow, new(3, 2, 1, Shards: 2)),
        new(ScenarioCatalog.Churn, new(1, 2, 2)),
        new(ScenarioCatalog.Wraparound, new(1, 2, 2)),
        new(ScenarioCatalog.Exhaustion, new(1, 2, 2)),
    ];

    // The suite's sizes too large to explore whole: every execution with at most the bound's preemptions.
    private static readonly ExhaustiveCase[] s_suiteBounded =
    [
        // Over 800,000 executions in 5 minutes without an end; 2 preemptions is what the epoch mutants need.
        new(ScenarioCatalog.ForeignAndEpochTokens, new(1, 2, 1, StartGeneration: ScenarioCatalog.ForeignAndEpochTokens.Defaults.StartGeneration), PreemptionBound: 2),

        // Three tasks, two operations each (where Coyote finds a Timeout misreported and a Replace that keeps
        // the poison): every execution with at most 1 preemption.
        new(ScenarioCatalog.TimedWaits, new(1, 3, 2), PreemptionBound: 1),
        new(ScenarioCatalog.PoisonedWrites, new(1, 3, 2), PreemptionBound: 1),
    ];

    // Planted bugs: the narrow tags' ABA, at the smallest size that shows it (3 slots: with 2, a 1-bit tag cannot
    // wrap, the list's length and the tag having the same parity).
    private static readonly ExhaustiveCase[] s_suiteBugs =
    [
        new(ScenarioCatalog.AbaWindow, new(3, 2, 1, Bug: PlantedBug.TagZeroBits), SpecProperty.AbaSafety, 2),
        new(ScenarioCatalog.AbaWindow, new(3, 2, 1, TagBits: 1, Bug: PlantedBug.NarrowTagWraps), SpecProperty.AbaSafety, 2),
        new(ScenarioCatalog.AbaWindow, new(3, 2, 1, TagBits: 2, Bug: PlantedBug.NarrowTagWraps), SpecProperty.AbaSafety, 2),
    ];

    /// <summary>The test suite's configurations: the correct manager complete at each (bounded where a preemption
    /// bound is given), then every planted bug found.</summary>
    public static IReadOnlyList<ExhaustiveCase> Suite { get; } = [.. s_suiteComplete, .. s_suiteBounded, .. s_suiteBugs];

    /// <summary>The published sizes: every one the correct manager is complete at (the suite's, then larger ones,
    /// up to about two minutes each on 2 cores), then the planted bugs (the 3-bit tag's under a preemption bound).</summary>
    public static IReadOnlyList<ExhaustiveCase> Published { get; } =
    [
        .. s_suiteComplete,
        new(ScenarioCatalog.Exhaustion, new(2, 2, 1)), // 15-30 s each: out of the suite's minute and a half
        // The next three: 20 s, 45 s and 11 s since write holds take numbers and tickets (issue 25): out of the suite's time.
        new(ScenarioCatalog.BorrowsVersusFree, new(1, 2, 1)),
        new(ScenarioCatalog.ReadersWriter, new(1, 2, 2)),
        new(ScenarioCatalog.EpochWrap, new(1, 2, 2, StartGeneration: ScenarioCatalog.EpochWrap.Defaults.StartGeneration)),
        new(ScenarioCatalog.CopyRaces, new(1, 2, 1, DiagnosticMode: true)),
        new(ScenarioCatalog.GuardCopies, new(1, 2, 1, DiagnosticMode: true)),
        new(ScenarioCatalog.WriteGuardCopies, new(1, 2, 1, DiagnosticMode: true)),
        new(ScenarioCatalog.BorrowsVersusFree, new(1, 2, 1, DiagnosticMode: true)),
        new(ScenarioCatalog.Churn, new(2, 2, 2)),
        new(ScenarioCatalog.WriteGuardCopies, new(1, 2, 2)),
        new(ScenarioCatalog.LastGeneration, new(1, 2, 2, StartGeneration: ScenarioCatalog.LastGeneration.Defaults.StartGeneration)),
        new(ScenarioCatalog.TimedWaits, new(1, 2, 2)),
        new(ScenarioCatalog.ReaderLimit, new(1, 2, 2)),
        new(ScenarioCatalog.Wraparound, new(2, 2, 2)),
        new(ScenarioCatalog.Churn, new(1, 2, 3)),
        new(ScenarioCatalog.Exhaustion, new(1, 2, 3)),
        new(ScenarioCatalog.Wraparound, new(1, 2, 3)),
        new(ScenarioCatalog.EpochWrap, new(1, 2, 3, StartGeneration: ScenarioCatalog.EpochWrap.Defaults.StartGeneration)),
        new(ScenarioCatalog.AbaWindow, new(3, 2, 1)),
        new(ScenarioCatalog.Churn, new(1, 3, 1)),
        new(ScenarioCatalog.ReaderLimit, new(1, 3, 1)),
        .. s_suiteBugs,

        // 8 head CASes inside the victim's window: the unbounded search's first minute does not reach it;
        // every execution with at most 2 preemptions does (and the bug needs 2).
        new(ScenarioCatalog.AbaWindow, new(3, 2, 3, TagBits: 3, Bug: PlantedBug.NarrowTagWraps), SpecProperty.AbaSafety, 2, PreemptionBound: 2),
    ];

    /// <summary>Beyond the published sizes: the correct manager explored as far as a preemption bound or a time
    /// limit allows (a bounded verdict, never complete): the suite's bounded sizes, then larger ones.</summary>
    public static IReadOnlyList<ExhaustiveCase> Beyond { get; } =
    [
        .. s_suiteBounded,
        new(ScenarioCatalog.ShardedFreeList, new(3, 3, 1, Shards: 2), PreemptionBound: 2),
        new(ScenarioCatalog.Exhaustion, new(2, 2, 2)),
        new(ScenarioCatalog.ShardedFreeList, new(2, 2, 2, Shards: 2)),
        new(ScenarioCatalog.BorrowsVersusFree, new(1, 2, 2)),
        new(ScenarioCatalog.CopyVersusWrite, new(1, 2, 2)),
        new(ScenarioCatalog.GuardCopies, new(1, 2, 2)),
        new(ScenarioCatalog.PoisonedWrites, new(1, 2, 2)),
        new(ScenarioCatalog.Mixed, new(2, 2, 3)),
        new(ScenarioCatalog.Mixed, new(2, 2, 4)),
        new(ScenarioCatalog.Mixed, new(2, 2, 6)),
        new(ScenarioCatalog.ReadersWriter, new(1, 3, 1)),
        new(ScenarioCatalog.ReaderLimit, new(1, 3, 2)),
        new(ScenarioCatalog.Exhaustion, new(2, 3, 1)),
    ];

    /// <summary>The list <paramref name="sizes"/> names.</summary>
    public static IReadOnlyList<ExhaustiveCase> Of(ExhaustiveSizes sizes) => sizes switch
    {
        ExhaustiveSizes.Suite => Suite,
        ExhaustiveSizes.Published => Published,
        ExhaustiveSizes.Beyond => Beyond,
        _ => throw new ArgumentOutOfRangeException(nameof(sizes), sizes, null),
    };
}
