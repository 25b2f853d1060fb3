using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Tests.Unit;

/// <summary>Properties are values: every one has its own title, and the engine's own reports (the only
/// text the harness classifies) map to the right one.</summary>
public sealed class SpecPropertyTests
{
    [Fact]
    public void Titles_AreDistinct()
    {
        SpecProperty[] all = Enum.GetValues<SpecProperty>();
        Assert.Equal(all.Length, all.Select(p => p.Title()).Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [InlineData("Deadlock detected. Task(3) is paused on a wait", SpecProperty.Deadlock)]
    [InlineData("Potential deadlock or hang detected", SpecProperty.Deadlock)]
    [InlineData("Unhandled exception. System.InvalidOperationException: boom", SpecProperty.UnhandledException)]
    [InlineData("Scheduling steps bound of 20000 reached.", SpecProperty.StepBound)]
    [InlineData("something else", SpecProperty.Other)]
    [InlineData("Unhandled exception. X\n   at CheckedSeam.CompareExchange(Int64& location)", SpecProperty.UnhandledException)]
    [InlineData("Assertion failure\n   at VerificationContext.AvailableChanged(Int32 value)", SpecProperty.Other)]
    public void EngineReports_AreClassified(string report, SpecProperty expected) =>
        Assert.Equal(new Violation(expected, report), Violation.FromEngineReport(report));

    [Fact]
    public void Violation_PrintsTitleAndDetails() =>
        Assert.Equal("ABA safety violated: pop of slot 1", new Violation(SpecProperty.AbaSafety, "pop of slot 1").ToString());
}
