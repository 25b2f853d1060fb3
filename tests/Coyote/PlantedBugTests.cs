using ManagerVerified.Harness.Checking;
using ManagerVerified.Spec.Checking;
using ManagerVerified.Harness.Exploration;
using ManagerVerified.Harness.Scenarios;
using Xunit.Abstractions;

namespace ManagerVerified.Tests.Coyote;

/// <summary>Every planted bug is caught by the monitor that owns its property, under random and under
/// PCT, within a fixed budget, and its trace replays to the same bug.</summary>
public sealed class PlantedBugTests(ITestOutputHelper output) : CoyoteTestBase(output)
{
    private const uint MaxIterations = 20_000;

    public static TheoryData<string, ExplorationStrategy> Cases()
    {
        var data = new TheoryData<string, ExplorationStrategy>();
        foreach (PlantedBugCase bug in ScenarioCatalog.PlantedBugs)
        {
            if (bug.RandomFinds)
            {
                data.Add(bug.Label, ExplorationStrategy.Random);
            }

            data.Add(bug.Label, ExplorationStrategy.Prioritization);
        }

        return data;
    }

    public static TheoryData<string, ExplorationStrategy> LinearizabilityCases()
    {
        var data = new TheoryData<string, ExplorationStrategy>();
        foreach (PlantedBugCase bug in ScenarioCatalog.PlantedBugs.Where(b => b.BreaksLinearizability))
        {
            if (bug.RandomFinds)
            {
                data.Add(bug.Label, ExplorationStrategy.Random);
            }

            data.Add(bug.Label, ExplorationStrategy.Prioritization);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PlantedBug_IsCaughtByItsMonitor_AndReplays(string label, ExplorationStrategy strategy)
    {
        PlantedBugCase bug = ScenarioCatalog.PlantedBugs.Single(b => b.Label == label);
        TestWithError(new ExplorationRequest(bug.Scenario, bug.Parameters, strategy, Budget(MaxIterations), Seed: 7919), bug.ExpectedProperty);
    }

    [Theory]
    [MemberData(nameof(LinearizabilityCases))]
    public void PlantedBug_WithEveryMonitorOff_IsCaughtByLinearizabilityCheckerAlone(string label, ExplorationStrategy strategy)
    {
        PlantedBugCase bug = ScenarioCatalog.PlantedBugs.Single(b => b.Label == label);
        TestWithError(new ExplorationRequest(bug.Scenario, bug.Parameters, strategy, Budget(MaxIterations), Seed: 7919, MonitorSet.None), SpecProperty.Linearizability);
    }
}
