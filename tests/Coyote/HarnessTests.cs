using ManagerVerified.Spec.Checking;
using ManagerVerified.Spec.Exploration;
using ManagerVerified.Spec.Scenarios;
using Xunit.Abstractions;

namespace ManagerVerified.Tests.Coyote;

/// <summary>The harness itself: it runs rewritten, its waiting is controlled (a leaked guard is a
/// deadlock, a correct lock survives failure-on-max-steps), and a monitor disabled is a bug missed.</summary>
public sealed class HarnessTests(ITestOutputHelper output) : CoyoteTestBase(output)
{
    [Fact]
    public void Harness_IsRewritten() => Assert.True(Explorer.IsRewritten, "ManagerVerified.Spec.dll must be rewritten by the CoyoteRewrite build target");

    [Theory]
    [InlineData(ExplorationStrategy.Random)]
    [InlineData(ExplorationStrategy.Prioritization)]
    public void LeakedWriteGuard_IsReportedAsDeadlock(ExplorationStrategy strategy) =>
        TestWithError(new ExplorationRequest(new LeakedGuardScenario(), new ScenarioParameters(1, 2, 1), strategy, 100), "Deadlock detected");

    [Theory]
    [InlineData(ExplorationStrategy.Random)]
    [InlineData(ExplorationStrategy.Prioritization)]
    [InlineData(ExplorationStrategy.FairPrioritization)]
    [InlineData(ExplorationStrategy.QLearning)]
    public void ContendedLock_WithFailureOnMaxSteps_NoBug(ExplorationStrategy strategy) =>
        Test(new ExplorationRequest(new ReadersWriterScenario(), new ScenarioParameters(1, 4, 4), strategy, Budget(200), Seed: 31, MaxSteps: 2_000));

    [Fact]
    public void PlantedBug_WithItsMonitorRemoved_IsNotReportedByIt()
    {
        // The read/write bug is reported by the exclusion monitor; without that monitor the same budget
        // must not produce that report (showing the report comes from the monitor, not from the harness).
        PlantedBugCase bug = ScenarioCatalog.PlantedBugs.Single(b => b.Bug == PlantedBug.WriterIgnoresReaders);
        ExplorationResult result = Explorer.Run(new ExplorationRequest(bug.Scenario, bug.Parameters, ExplorationStrategy.Prioritization, 200, 7919, MonitorSet.All & ~MonitorSet.ReadWriteExclusion), new SilentLogger());
        Assert.DoesNotContain(bug.ExpectedProperty, result.BugReport ?? string.Empty, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ExplorationStrategy.Random)]
    [InlineData(ExplorationStrategy.Prioritization)]
    public void StoreCompleteness_Alone_CatchesNonAtomicHeadCas(ExplorationStrategy strategy)
    {
        // The exhaustion scenario's own check, with every monitor and the history check off: a pop that
        // hands one slot to two stores lets more stores succeed than there are slots.
        PlantedBugCase bug = ScenarioCatalog.PlantedBugs.Single(b => b.Bug == PlantedBug.HeadCasNotAtomic);
        TestWithError(new ExplorationRequest(bug.Scenario, bug.Parameters, strategy, 2_000, 7919, MonitorSet.StoreCompleteness, CheckLinearizability: false), ExhaustionScenario.Property);
    }

    /// <summary>Task 0 takes a write guard and never releases it; task 1 then blocks on a read.</summary>
    private sealed class LeakedGuardScenario : Scenario
    {
        public override string Name => "leaked-guard";

        public override string Description => "a write guard that is never disposed";

        public override ScenarioParameters Defaults => new(1, 2, 1);

        protected override async Task ExecuteAsync(ScenarioRun run)
        {
            MessageToken token = run.Api.Store(CheckedPayload.Create(1, 0));
            await run.RunTasksAsync(task =>
            {
                if (task == 0)
                {
                    _ = run.Api.Write(token); // leaked: never disposed
                }
                else
                {
                    run.Read(token, tryOnly: false);
                }
            }).ConfigureAwait(false);
        }
    }
}
