using ManagerVerified.Harness.Exploration;
using ManagerVerified.Spec.Checking;
using Microsoft.Coyote.SystematicTesting.Frameworks.XUnit;
using Xunit.Abstractions;

namespace ManagerVerified.Tests.Coyote;

/// <summary>
/// Coyote's own BaseTest habit: <see cref="Test"/> expects no bug; <see cref="TestWithError"/> expects a
/// specific bug, then replays its reproducible trace and expects the same bug again. Every helper
/// refuses to run on an assembly that was not rewritten.
/// </summary>
public abstract class CoyoteTestBase
{
    protected CoyoteTestBase(ITestOutputHelper output) => Output = output;

    protected ITestOutputHelper Output { get; }

    /// <summary>Scales every iteration budget: MV_COYOTE_BUDGET=10 explores ten times longer (default 1).</summary>
    protected static uint Budget(uint iterations)
    {
        string? scale = Environment.GetEnvironmentVariable("MV_COYOTE_BUDGET");
        return scale is not null && uint.TryParse(scale, out uint factor) && factor > 0 ? iterations * factor : iterations;
    }

    /// <summary>Expects no bug and no uncontrolled invocation.</summary>
    protected ExplorationResult Test(ExplorationRequest request)
    {
        Assert.True(Explorer.IsRewritten, "the harness assemblies are not rewritten for Coyote: nothing would be explored");
        using var logger = new TestOutputLogger(Output);
        ExplorationResult result = Explorer.Run(request, logger);
        Output.WriteLine($"{request.Scenario.Name} [{request.Parameters}] {request.Strategy}: {result.IterationsRun} iterations in {result.Elapsed.TotalSeconds:F2} s ({result.IterationsPerSecond:F0}/s)");
        Assert.True(result.Bug is null, $"unexpected bug: {result.BugReport}");
        Assert.Empty(result.UncontrolledInvocations);
        Assert.Equal(request.Iterations, (uint)result.IterationsRun);
        return result;
    }

    /// <summary>Expects a bug of property <paramref name="expected"/>, then replays it and expects the same violation.</summary>
    protected ExplorationResult TestWithError(ExplorationRequest request, SpecProperty expected)
    {
        Assert.True(Explorer.IsRewritten, "the harness assemblies are not rewritten for Coyote: nothing would be explored");
        using var logger = new TestOutputLogger(Output);
        ExplorationResult result = Explorer.Run(request, logger);
        Output.WriteLine($"{request.Scenario.Name} [{request.Parameters}] {request.Strategy}: bug at iteration {result.IterationsRun} ({result.Elapsed.TotalSeconds:F2} s): {result.BugReport}");
        Assert.True(result.BugFound, $"no bug found in {result.IterationsRun} iterations; expected '{expected}'");
        Assert.Equal(expected, result.Bug!.Property);
        Assert.NotNull(result.Trace);

        ExplorationResult replay = Explorer.Replay(request, result.Trace!, logger);
        Assert.True(replay.BugFound, "the trace did not reproduce the bug");
        Assert.Equal(result.Bug, replay.Bug);
        return result;
    }
}
