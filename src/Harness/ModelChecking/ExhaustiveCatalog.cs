using ManagerVerified.Harness.Checking;
using ManagerVerified.Harness.Scenarios;
using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Harness.ModelChecking;

/// <summary>One configuration the model checker explores, and the property it must report (null: none, the correct manager).</summary>
/// <param name="Scenario">The scenario.</param>
/// <param name="Parameters">Its parameters.</param>
/// <param name="ExpectedBug">The property a planted bug must violate, or null.</param>
/// <param name="MinimalPreemptions">For a planted bug: the fewest preemptions any execution needs to show it.</param>
public sealed record ExhaustiveCase(Scenario Scenario, ScenarioParameters Parameters, SpecProperty? ExpectedBug = null, int? MinimalPreemptions = null)
{
    /// <inheritdoc />
    public override string ToString() => $"{Scenario.Name} {Parameters}";
}

/// <summary>The sizes the model checker explores: <see cref="Suite"/> in <c>dotnet test</c> (each complete, about a
/// minute together on 2 cores), <see cref="Published"/> in the runner's <c>--exhaustive</c>, smallest first
/// (docs/verification.md has the table, with the verdict and the executions of each).</summary>
public static class ExhaustiveCatalog
{
    /// <summary>The test suite's configurations: the correct manager complete, every planted bug found.</summary>
    public static IReadOnlyList<ExhaustiveCase> Suite { get; } =
    [
        new(ScenarioCatalog.Churn, new(1, 2, 1)),
        new(ScenarioCatalog.Churn, new(2, 2, 1)),
        new(ScenarioCatalog.Wraparound, new(2, 2, 1)),
        new(ScenarioCatalog.ReadersWriter, new(1, 2, 1)),
        new(ScenarioCatalog.ReadersWriter, new(1, 2, 2)),
        new(ScenarioCatalog.CopyVersusWrite, new(1, 2, 1)),
        new(ScenarioCatalog.BorrowsVersusFree, new(1, 2, 1)),
        new(ScenarioCatalog.TimedWaits, new(1, 2, 1)),

        // Planted bugs: the narrow tags' ABA, at the smallest size that shows it (3 slots: with 2, a 1-bit
        // tag cannot wrap, the list's length and the tag having the same parity).
        new(ScenarioCatalog.AbaWindow, new(3, 2, 1, Bug: PlantedBug.TagZeroBits), SpecProperty.AbaSafety, 2),
        new(ScenarioCatalog.AbaWindow, new(3, 2, 1, TagBits: 1, Bug: PlantedBug.NarrowTagWraps), SpecProperty.AbaSafety, 2),
        new(ScenarioCatalog.AbaWindow, new(3, 2, 1, TagBits: 2, Bug: PlantedBug.NarrowTagWraps), SpecProperty.AbaSafety, 2),
    ];

    /// <summary>The runner's configurations: the suite's and larger ones, smallest first.</summary>
    public static IReadOnlyList<ExhaustiveCase> Published { get; } =
    [
        .. Suite,
        new(ScenarioCatalog.Churn, new(2, 2, 2)),
        new(ScenarioCatalog.AbaWindow, new(3, 2, 1)),
        new(ScenarioCatalog.AbaWindow, new(3, 2, 3, TagBits: 3, Bug: PlantedBug.NarrowTagWraps), SpecProperty.AbaSafety, 2),
    ];
}
