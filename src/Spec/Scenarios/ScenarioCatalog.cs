using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Spec.Scenarios;

/// <summary>Every scenario, and which scenario shows each narrow-tag configuration's ABA, by which property.
/// (Bugs in the core's code are catalog mutants: tests/Mutants.)</summary>
public static class ScenarioCatalog
{
    /// <summary>The scenarios, in the order reports list them.</summary>
    public static IReadOnlyList<Scenario> All { get; } =
    [
        new ChurnScenario(),
        new WraparoundScenario(),
        new ReadersWriterScenario(),
        new BorrowsVersusFreeScenario(),
        new ExhaustionScenario(),
        new MixedScenario(),
    ];

    /// <summary>The scenario called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No scenario has that name.</exception>
    public static Scenario Get(string name) =>
        All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown scenario '{name}' (known: {string.Join(", ", All.Select(s => s.Name))})");

    /// <summary>The planted bugs, each with the scenario that exposes it and the property that must report it.</summary>
    public static IReadOnlyList<PlantedBugCase> PlantedBugs { get; } =
    [
        // Random's detection of a narrow tag's ABA is seed-sensitive (docs/verification.md: 9 of 10 seeds
        // within 5,000 iterations, thousands for some); PCT finds each in tens to hundreds, so these
        // cases, which show the ABA monitor and the checker catching the wrap, run under PCT. 3 bits need
        // 8 successful CASes inside the victim's window: random did not find it in 20,000 iterations.
        new(PlantedBug.TagZeroBits, "churn", new(4, 4, 2, Bug: PlantedBug.TagZeroBits), "ABA safety", RandomFinds: false),
        new(PlantedBug.NarrowTagWraps, "wraparound", new(4, 6, 2, TagBits: 1, Bug: PlantedBug.NarrowTagWraps), "ABA safety", RandomFinds: false),
        new(PlantedBug.NarrowTagWraps, "wraparound", new(4, 6, 2, TagBits: 2, Bug: PlantedBug.NarrowTagWraps), "ABA safety", RandomFinds: false),
        new(PlantedBug.NarrowTagWraps, "wraparound", new(4, 6, 3, TagBits: 3, Bug: PlantedBug.NarrowTagWraps), "ABA safety", RandomFinds: false),
    ];
}

/// <summary>A planted bug, the scenario run that must expose it, and the property whose report names it.</summary>
/// <param name="Bug">The bug.</param>
/// <param name="ScenarioName">The scenario.</param>
/// <param name="Parameters">The scenario's parameters (with <see cref="ScenarioParameters.Bug"/> set).</param>
/// <param name="ExpectedProperty">The property the first report must name.</param>
/// <param name="RandomFinds">False when the random strategy is not expected to find it within the standard budget.</param>
/// <param name="BreaksLinearizability">False when the bug changes nothing an operation returns (the linearizability checker cannot see it).</param>
public sealed record PlantedBugCase(PlantedBug Bug, string ScenarioName, ScenarioParameters Parameters, string ExpectedProperty, bool RandomFinds = true, bool BreaksLinearizability = true)
{
    /// <summary>A short unique label, e.g. <c>NarrowTagWraps/2b</c>.</summary>
    public string Label => Parameters.TagBits is int bits && Bug == PlantedBug.NarrowTagWraps ? $"{Bug}/{bits}b" : Bug.ToString();

    /// <summary>The scenario.</summary>
    public Scenario Scenario => ScenarioCatalog.Get(ScenarioName);
}
