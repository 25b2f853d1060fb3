using ManagerVerified.Seam;
using ManagerVerified.Harness.Checking;
using ManagerVerified.Spec.Checking;
using ManagerVerified.Harness.Exploration;
using ManagerVerified.Harness.Scenarios;
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
        TestWithError(new ExplorationRequest(new LeakedGuardScenario(), new ScenarioParameters(1, 2, 1), strategy, 100), SpecProperty.Deadlock);

    [Theory]
    [InlineData(ExplorationStrategy.Random)]
    [InlineData(ExplorationStrategy.Prioritization)]
    [InlineData(ExplorationStrategy.FairPrioritization)]
    [InlineData(ExplorationStrategy.QLearning)]
    public void ContendedLock_WithFailureOnMaxSteps_NoBug(ExplorationStrategy strategy) =>
        Test(new ExplorationRequest(new ReadersWriterScenario(), new ScenarioParameters(1, 4, 4), strategy, Budget(200), Seed: 31, MaxSteps: 2_000));

    /// <summary>Task 0 takes a write guard and never releases it; task 1 then blocks on a read.</summary>
    private sealed class LeakedGuardScenario : Scenario
    {
        public override string Name => "leaked-guard";

        public override string Description => "a write guard that is never disposed";

        public override ScenarioParameters Defaults => new(1, 2, 1);

        protected override async Task ExecuteAsync(ScenarioRun run)
        {
            run.Store(tryOnly: false, out MessageToken token);
            await run.RunTasksAsync(task =>
            {
                if (task == 0)
                {
                    _ = run.Manager.Write(token, WaitLimit.Forever, out _); // leaked: never disposed
                }
                else
                {
                    run.Read(token, tryOnly: false);
                }
            }).ConfigureAwait(false);
        }
    }
}
