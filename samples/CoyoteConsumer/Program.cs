using CoyoteConsumer;
using ManagerVerified;
using Microsoft.Coyote;
using Microsoft.Coyote.Logging;
using Microsoft.Coyote.Rewriting;
using Microsoft.Coyote.Specifications;
using Microsoft.Coyote.SystematicTesting;

// A Coyote test of TwoStageHandOff on top of the packed manager: the correct hand-off must survive every
// interleaving Coyote tries; the one that reads after the hand-over must be caught, with the manager's
// typed error, and the bug must replay from its trace.
if (!RewritingEngine.IsAssemblyRewritten(typeof(TwoStageHandOff).Assembly) || !RewritingEngine.IsAssemblyRewritten(typeof(ConcurrentMemoryManager<>).Assembly))
{
    Console.WriteLine("not rewritten: build this project (its post-build step runs 'coyote rewrite rewrite.coyote.json')");
    return 2;
}

static Func<Task> Test(bool logAfterHandOff) => async () =>
{
    var manager = new ConcurrentMemoryManager<Reading>(2);
    var pipeline = new TwoStageHandOff(manager, logAfterHandOff);
    try
    {
        await Task.WhenAll(Task.Run(() => pipeline.ProduceAsync(2)), Task.Run(() => pipeline.ConsumeAsync(2)));
    }
    catch (MemoryManagerException e)
    {
        Specification.Assert(false, $"the manager refused an operation with {e.Error}: {e.Message}");
    }

    Specification.Assert(manager.Available == manager.Capacity, $"{manager.Capacity - manager.Available} message(s) never freed");
};

static Configuration Config(uint iterations) => Configuration.Create()
    .WithTestingIterations(iterations)
    .WithRandomGeneratorSeed(7919)
    .WithTelemetryEnabled(false)
    .WithVerbosityEnabled(VerbosityLevel.None);

static TestReport Run(Configuration config, Func<Task> test, out string trace)
{
    using var engine = TestingEngine.Create(config, test);
    engine.Run();
    trace = engine.ReproducibleTrace;
    return engine.TestReport;
}

TestReport correct = Run(Config(100), Test(logAfterHandOff: false), out _);
Console.WriteLine($"correct hand-off: {correct.NumOfFoundBugs} bugs in {correct.NumOfExploredFairPaths + correct.NumOfExploredUnfairPaths} iterations");

TestReport planted = Run(Config(1000), Test(logAfterHandOff: true), out string found);
string FirstLine(TestReport r) => r.BugReports.FirstOrDefault()?.Split('\n')[0].Trim() ?? "(none)";
Console.WriteLine($"read after hand-over: {planted.NumOfFoundBugs} bug after {planted.NumOfExploredFairPaths + planted.NumOfExploredUnfairPaths} iterations: {FirstLine(planted)}");

TestReport replayed = planted.NumOfFoundBugs > 0 ? Run(Configuration.Create().WithTelemetryEnabled(false).WithVerbosityEnabled(VerbosityLevel.None).WithReproducibleTrace(found), Test(logAfterHandOff: true), out _) : planted;
Console.WriteLine($"replayed from its trace: {FirstLine(replayed)}");

bool ok = correct.NumOfFoundBugs == 0
    && planted.NumOfFoundBugs > 0 && FirstLine(planted).Contains($"with {MemoryError.StaleToken}:", StringComparison.Ordinal)
    && replayed.NumOfFoundBugs > 0 && FirstLine(replayed) == FirstLine(planted);
Console.WriteLine(ok ? "OK" : "UNEXPECTED");
return ok ? 0 : 1;
