using System.Diagnostics;
using ManagerVerified.Harness.Checking;
using ManagerVerified.Spec.Checking;
using ManagerVerified.Harness.Scenarios;
using Microsoft.Coyote;
using Microsoft.Coyote.Logging;
using Microsoft.Coyote.Rewriting;
using Microsoft.Coyote.Specifications;
using Microsoft.Coyote.SystematicTesting;

namespace ManagerVerified.Harness.Exploration;

/// <summary>The Coyote exploration strategies the harness uses.</summary>
public enum ExplorationStrategy
{
    /// <summary>Uniformly random scheduling.</summary>
    Random,

    /// <summary>Priority-based (PCT), unfair, with a bound of 10 priority changes.</summary>
    Prioritization,

    /// <summary>Priority-based (PCT), fair, with a bound of 10 priority changes.</summary>
    FairPrioritization,

    /// <summary>Reinforcement-learning guided scheduling.</summary>
    QLearning,

    /// <summary>Probabilistic scheduling.</summary>
    Probabilistic,

    /// <summary>Delay-bounding, unfair, with a bound of 10 delays.</summary>
    DelayBounding,
}

/// <summary>One Coyote exploration of one scenario configuration.</summary>
/// <param name="Scenario">The scenario.</param>
/// <param name="Parameters">Its parameters (including any planted bug).</param>
/// <param name="Strategy">The exploration strategy.</param>
/// <param name="Iterations">At most this many iterations; the run stops at the first bug.</param>
/// <param name="Seed">The strategy's random seed.</param>
/// <param name="Monitors">The monitors to install.</param>
/// <param name="MaxSteps">The scheduling-step bound of one iteration; reaching it is a bug.</param>
/// <param name="TimeBudgetSeconds">When set, the exploration also stops after this many seconds.</param>
/// <param name="CheckLinearizability">Records every iteration's history and checks it is linearizable.</param>
public sealed record ExplorationRequest(
    Scenario Scenario,
    ScenarioParameters Parameters,
    ExplorationStrategy Strategy,
    uint Iterations,
    uint Seed = 1,
    MonitorSet Monitors = MonitorSet.All,
    uint MaxSteps = 20_000,
    int? TimeBudgetSeconds = null,
    bool CheckLinearizability = true);

/// <summary>What an exploration found.</summary>
/// <param name="Request">The request.</param>
/// <param name="IterationsRun">Iterations explored (including the one that found the bug).</param>
/// <param name="Elapsed">Wall-clock time of the exploration.</param>
/// <param name="Bug">The first bug, typed: the property a monitor reported, or the engine's own failure.</param>
/// <param name="BugReport">The first bug's report as the engine printed it, or null.</param>
/// <param name="Trace">The reproducible trace of the bug (JSON), or null.</param>
/// <param name="UncontrolledInvocations">Calls Coyote saw but did not control (must be empty).</param>
public sealed record ExplorationResult(
    ExplorationRequest Request,
    long IterationsRun,
    TimeSpan Elapsed,
    Violation? Bug,
    string? BugReport,
    string? Trace,
    IReadOnlyCollection<string> UncontrolledInvocations)
{
    /// <summary>True when a bug was found.</summary>
    public bool BugFound => Bug is not null;

    /// <summary>Iterations per second.</summary>
    public double IterationsPerSecond => Elapsed.TotalSeconds > 0 ? IterationsRun / Elapsed.TotalSeconds : 0;
}

/// <summary>Runs scenarios under Coyote's systematic testing engine and replays their bug traces.</summary>
public static class Explorer
{
    /// <summary>True when the harness assemblies were rewritten by <c>coyote rewrite</c>; without it
    /// Coyote controls nothing and finds nothing.</summary>
    public static bool IsRewritten => RewritingEngine.IsAssemblyRewritten(typeof(Explorer).Assembly);

    /// <summary>Throws when the harness was not rewritten, so an un-rewritten build fails loudly.</summary>
    public static void EnsureRewritten()
    {
        if (!IsRewritten)
        {
            throw new InvalidOperationException(
                "ManagerVerified.Spec.dll is not rewritten for Coyote: build with the CoyoteRewrite target (see tests/Coyote), or run 'dotnet tool run coyote rewrite <config>'.");
        }
    }

    /// <summary>The engine configuration of a request.</summary>
    public static Configuration Configure(ExplorationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Configuration config = Base(request.MaxSteps)
            .WithTestingIterations(request.Iterations)
            .WithRandomGeneratorSeed(request.Seed);
        if (request.TimeBudgetSeconds is int seconds)
        {
            config = config.WithTestingTimeout(seconds);
        }

        return request.Strategy switch
        {
            ExplorationStrategy.Random => config.WithRandomStrategy(),
            ExplorationStrategy.Prioritization => config.WithPrioritizationStrategy(false, 10),
            ExplorationStrategy.FairPrioritization => config.WithPrioritizationStrategy(true, 10),
            ExplorationStrategy.QLearning => config.WithQLearningStrategy(),
            ExplorationStrategy.Probabilistic => config.WithProbabilisticStrategy(3),
            ExplorationStrategy.DelayBounding => config.WithDelayBoundingStrategy(false, 10),
            _ => throw new ArgumentOutOfRangeException(nameof(request), request.Strategy, "unknown strategy"),
        };
    }

    /// <summary>Explores <paramref name="request"/> until its iteration budget is spent or a bug is found.</summary>
    public static ExplorationResult Run(ExplorationRequest request, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        EnsureRewritten();
        request.Parameters.Validate();
        return Execute(request, Configure(request), logger);
    }

    /// <summary>Replays a bug trace of <paramref name="request"/>'s scenario; the result carries the bug it reproduced, if any.</summary>
    public static ExplorationResult Replay(ExplorationRequest request, string trace, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        EnsureRewritten();
        return Execute(request, Base(request.MaxSteps).WithReproducibleTrace(trace), logger);
    }

    private static Configuration Base(uint maxSteps) =>
        Configuration.Create()
            .WithTelemetryEnabled(false)
            .WithConsoleLoggingEnabled(false)
            .WithMaxSchedulingSteps(maxSteps)
            .WithFailureOnMaxStepsBoundEnabled(true)
            // The checked seam places one scheduling point before every shared access; Coyote's own
            // race-checking points at Interlocked/Volatile calls would only double them.
            .WithAtomicOperationRaceCheckingEnabled(false)
            .WithVolatileOperationRaceCheckingEnabled(false)
            .WithMemoryAccessRaceCheckingEnabled(false)
            .WithControlFlowRaceCheckingEnabled(false);

    /// <summary>Replays a bug trace once more, recording every seam access (for report.html);
    /// <paramref name="bug"/> is the bug this replay reproduced, if any.</summary>
    public static StepLog RecordSteps(ExplorationRequest request, string trace, out Violation? bug)
    {
        ArgumentNullException.ThrowIfNull(request);
        EnsureRewritten();
        var steps = new StepLog();
        bug = Execute(request, Base(request.MaxSteps).WithReproducibleTrace(trace), null, steps).Bug;
        return steps;
    }

    private static ExplorationResult Execute(ExplorationRequest request, Configuration config, ILogger? logger, StepLog? steps = null)
    {
        Scenario scenario = request.Scenario;
        ScenarioParameters parameters = request.Parameters;
        MonitorSet monitors = request.Monitors;
        bool linearizability = request.CheckLinearizability;
        var stopwatch = Stopwatch.StartNew();
        var sink = new CoyoteViolationSink();
        using var engine = TestingEngine.Create(config, () =>
        {
            sink.Reset(); // each iteration starts clean: Last is this iteration's violation or none
            return scenario.RunAsync(parameters, CoyoteScheduler.Instance, sink, monitors, linearizability, steps);
        });
        engine.SetLogger(logger ?? new SilentLogger());
        engine.Run();
        stopwatch.Stop();
        TestReport report = engine.TestReport;
        string? bug = report.NumOfFoundBugs > 0 ? report.BugReports.First() : null;
        return new ExplorationResult(
            request,
            report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths,
            stopwatch.Elapsed,
            bug is null ? null : sink.Last ?? Violation.FromEngineReport(bug),
            bug,
            bug is null ? null : engine.ReproducibleTrace,
            report.UncontrolledInvocations.ToArray());
    }

    /// <summary>Writes the bug's reports (.txt, .trace, .dgml) into <paramref name="directory"/>.</summary>
    public static IReadOnlyList<string> EmitReports(ExplorationRequest request, string trace, string directory, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        Directory.CreateDirectory(directory);
        using var engine = TestingEngine.Create(Base(request.MaxSteps).WithReproducibleTrace(trace),
            () => request.Scenario.RunAsync(request.Parameters, CoyoteScheduler.Instance, new CoyoteViolationSink(), request.Monitors, request.CheckLinearizability));
        engine.SetLogger(new SilentLogger());
        engine.Run();
        return engine.TryEmitReports(directory, name, out IEnumerable<string> files) ? files.ToList() : [];
    }
}

/// <summary>A sink for Coyote runs: keeps the violation as a value, then fails the iteration with
/// <c>Specification.Assert</c>. The engine stops at the first failing iteration, so the last violation
/// kept is the bug it reports.</summary>
public sealed class CoyoteViolationSink : ViolationSink
{
    /// <summary>The violation reported in the current iteration, or null.</summary>
    public Violation? Last { get; private set; }

    /// <summary>Forgets the previous iteration's violation.</summary>
    public void Reset() => Last = null;

    /// <inheritdoc />
    public override void Report(Violation violation)
    {
        ArgumentNullException.ThrowIfNull(violation);
        Last = violation;
        Specification.Assert(false, violation.ToString());
    }
}

/// <summary>A Coyote logger that drops everything (Coyote prints a line per iteration without one).</summary>
public sealed class SilentLogger : ILogger
{
    /// <inheritdoc />
    public void Write(string value)
    {
    }

    /// <inheritdoc />
    public void Write(string format, object arg0)
    {
    }

    /// <inheritdoc />
    public void Write(string format, object arg0, object arg1)
    {
    }

    /// <inheritdoc />
    public void Write(string format, object arg0, object arg1, object arg2)
    {
    }

    /// <inheritdoc />
    public void Write(string format, params object[] args)
    {
    }

    /// <inheritdoc />
    public void Write(LogSeverity severity, string value)
    {
    }

    /// <inheritdoc />
    public void Write(LogSeverity severity, string format, object arg0)
    {
    }

    /// <inheritdoc />
    public void Write(LogSeverity severity, string format, object arg0, object arg1)
    {
    }

    /// <inheritdoc />
    public void Write(LogSeverity severity, string format, object arg0, object arg1, object arg2)
    {
    }

    /// <inheritdoc />
    public void Write(LogSeverity severity, string format, params object[] args)
    {
    }

    /// <inheritdoc />
    public void WriteLine(string value)
    {
    }

    /// <inheritdoc />
    public void WriteLine(string format, object arg0)
    {
    }

    /// <inheritdoc />
    public void WriteLine(string format, object arg0, object arg1)
    {
    }

    /// <inheritdoc />
    public void WriteLine(string format, object arg0, object arg1, object arg2)
    {
    }

    /// <inheritdoc />
    public void WriteLine(string format, params object[] args)
    {
    }

    /// <inheritdoc />
    public void WriteLine(LogSeverity severity, string value)
    {
    }

    /// <inheritdoc />
    public void WriteLine(LogSeverity severity, string format, object arg0)
    {
    }

    /// <inheritdoc />
    public void WriteLine(LogSeverity severity, string format, object arg0, object arg1)
    {
    }

    /// <inheritdoc />
    public void WriteLine(LogSeverity severity, string format, object arg0, object arg1, object arg2)
    {
    }

    /// <inheritdoc />
    public void WriteLine(LogSeverity severity, string format, params object[] args)
    {
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
