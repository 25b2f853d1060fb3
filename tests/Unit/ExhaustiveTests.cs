using ManagerVerified.Harness.Checking;
using ManagerVerified.Harness.ModelChecking;
using ManagerVerified.Harness.Scenarios;
using ManagerVerified.Spec.Checking;
using Xunit;

namespace ManagerVerified.Tests.Unit;

/// <summary>The model checker over the real manager on the checked seam: at the suite's sizes the correct
/// manager is complete (every interleaving up to equivalence, every monitor and the linearizability check
/// on each), and every planted bug is found with a counterexample of the fewest preemptions, which replays.</summary>
public sealed class ExhaustiveTests
{
    public static TheoryData<string> Cases => [.. ExhaustiveCatalog.Suite.Select(c => c.ToString())];

    private static ExhaustiveCase Case(string name) => ExhaustiveCatalog.Suite.Single(c => c.ToString() == name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void SuiteSize_CorrectManagerComplete_PlantedBugFoundMinimal(string name)
    {
        ExhaustiveCase c = Case(name);
        var check = new ScenarioModelCheck(c.Scenario, c.Parameters);

        ModelCheckResult result = check.Explore(new ModelCheckOptions { PreemptionBound = c.PreemptionBound });

        if (c.ExpectedBug is null)
        {
            ModelVerdict expected = c.PreemptionBound is null ? ModelVerdict.Complete : ModelVerdict.Bounded;
            Assert.True(result.Verdict == expected, $"{name}: {result} {result.Counterexample?.Violation}");
            Assert.Null(result.Counterexample);
            Assert.True(result.Executions > 1, $"{name}: one execution means nothing interleaved");
            return;
        }

        Assert.True(result.Verdict == ModelVerdict.Violation, $"{name}: {result}");
        ModelCounterexample found = result.Counterexample!;
        Assert.Equal(c.ExpectedBug, found.Violation.Property);
        Assert.Equal(c.MinimalPreemptions, found.Preemptions);
        Assert.True(found.Minimal, $"{name}: the searches with fewer preemptions were cut");

        // Minimal: with one preemption fewer the whole bounded space holds no violation.
        ModelCheckResult fewer = check.Explore(new ModelCheckOptions { PreemptionBound = found.Preemptions - 1 });
        Assert.True(fewer.Verdict == ModelVerdict.Bounded, $"{name} with {found.Preemptions - 1} preemptions: {fewer}");

        // It replays from its text, and reads as steps that end at the failing one.
        (Violation? replayed, string steps) = check.Explain(ModelTrace.Parse(found.Trace.Serialize(check.TraceHeader)));
        Assert.Equal(found.Violation, replayed);
        Assert.Contains($"<-- {c.ExpectedBug}", steps, StringComparison.Ordinal);
    }

    [Fact]
    public void OneTaskAloneForManyOperations_IsNoLivelock()
    {
        // About 3,000 steps alone, more than the livelock bound, but each operation starts anew: complete.
        var check = new ScenarioModelCheck(ScenarioCatalog.Churn, new ScenarioParameters(1, 1, 800));

        ModelCheckResult result = check.Explore(new ModelCheckOptions { MaxSteps = 10_000 });

        Assert.True(result.Verdict == ModelVerdict.Complete, $"{result} {result.Counterexample?.Violation}");
    }

    [Fact]
    public void CorrectConfiguration_WithAStepBound_IsBoundedNotComplete()
    {
        var check = new ScenarioModelCheck(ScenarioCatalog.Churn, new ScenarioParameters(1, 2, 1));

        ModelCheckResult result = check.Explore(new ModelCheckOptions { MaxSteps = 10 });

        Assert.Equal(ModelVerdict.Bounded, result.Verdict);
        Assert.True(result.StepBoundCuts > 0);
    }

    [Fact]
    public void ReplayOfAnotherConfigurationsTrace_IsRefusedAsNondeterministic()
    {
        ExhaustiveCase bug = ExhaustiveCatalog.Suite.First(c => c.ExpectedBug is not null);
        ModelCheckResult result = new ScenarioModelCheck(bug.Scenario, bug.Parameters).Explore();
        var other = new ScenarioModelCheck(ScenarioCatalog.ReadersWriter, new ScenarioParameters(1, 2, 1));

        Assert.Throws<NondeterministicProgramException>(() => other.Explain(result.Counterexample!.Trace));
    }
}
