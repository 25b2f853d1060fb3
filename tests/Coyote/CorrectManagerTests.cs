using ManagerVerified.Harness.Exploration;
using ManagerVerified.Harness.Scenarios;
using Xunit.Abstractions;

namespace ManagerVerified.Tests.Coyote;

/// <summary>The correct manager: every scenario under every standard strategy finds no bug and
/// leaves nothing uncontrolled.</summary>
public sealed class CorrectManagerTests(ITestOutputHelper output) : CoyoteTestBase(output)
{
    private const uint Iterations = 200;

    public static TheoryData<string, ExplorationStrategy> Cases()
    {
        var data = new TheoryData<string, ExplorationStrategy>();
        foreach (Scenario scenario in ScenarioCatalog.All)
        {
            foreach (ExplorationStrategy strategy in new[] { ExplorationStrategy.Random, ExplorationStrategy.Prioritization, ExplorationStrategy.FairPrioritization, ExplorationStrategy.QLearning })
            {
                data.Add(scenario.Name, strategy);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scenario_CorrectManager_NoBug(string scenarioName, ExplorationStrategy strategy)
    {
        Scenario scenario = ScenarioCatalog.Get(scenarioName);
        ScenarioParameters parameters = scenario.Defaults with { TagBits = null };
        Test(new ExplorationRequest(scenario, parameters, strategy, Budget(Iterations), Seed: 7919));
    }

    [Theory]
    [InlineData("copy-races", false, ExplorationStrategy.Random)]
    [InlineData("copy-races", false, ExplorationStrategy.Prioritization)]
    [InlineData("copy-races", true, ExplorationStrategy.Random)]
    [InlineData("copy-races", true, ExplorationStrategy.Prioritization)]
    [InlineData("guard-copies", true, ExplorationStrategy.Prioritization)]
    [InlineData("borrows-vs-free", true, ExplorationStrategy.Prioritization)]
    public void ThreeTasks_WithAndWithoutDiagnosticMode_NoBug(string scenarioName, bool diagnosticMode, ExplorationStrategy strategy)
    {
        // A third task beside the copies: in copy-races it frees the message and copies its header (production) or
        // reads it, a borrow no copy may take (diagnostic mode, whose records of guards, stores and frees the tasks
        // share: a copy's release races its guard's, and the record decides).
        Scenario scenario = ScenarioCatalog.Get(scenarioName);
        ScenarioParameters parameters = scenario.Defaults with { TagBits = null, Tasks = 3, DiagnosticMode = diagnosticMode };
        Test(new ExplorationRequest(scenario, parameters, strategy, Budget(Iterations), Seed: 7919));
    }

    [Theory]
    [InlineData(ExplorationStrategy.Random)]
    [InlineData(ExplorationStrategy.Prioritization)]
    public void Wraparound_ProductionTagStartingAtItsMaximum_NoBug(ExplorationStrategy strategy)
    {
        // The production tag wraps here too (it starts 3 below its maximum), but needs 2^T CASes to come back.
        var scenario = new WraparoundScenario();
        ulong maxTag = (1UL << 61) - 1; // capacity 4 -> 3 index bits -> 61 tag bits
        ScenarioParameters parameters = scenario.Defaults with { TagBits = null, StartTag = maxTag - 2, Operations = 4 };
        Test(new ExplorationRequest(scenario, parameters, strategy, Budget(Iterations), Seed: 104_729));
    }
}
