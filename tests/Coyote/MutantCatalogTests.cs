using ManagerVerified.Verify;
using ManagerVerified.Verify.Mutants;

namespace ManagerVerified.Tests.Coyote;

/// <summary>
/// The mutant catalog is whole and current (every entry applies to today's source), covers every file
/// of the core and the guards, and the runner kills catalog mutants that only the race detector sees,
/// through the same harness the default suite runs. The full kill matrix is the runner's (--mutants).
/// </summary>
public sealed class MutantCatalogTests
{
    private static readonly string s_root = MutantCatalog.FindRepositoryRoot(AppContext.BaseDirectory)!;

    [Fact]
    public void Catalog_EveryMutantAppliesToTheCurrentSource_AndChangesIt()
    {
        IReadOnlyList<Mutant> catalog = MutantCatalog.Load(s_root);
        string invariants = File.ReadAllText(Path.Combine(s_root, "docs", "invariants.md"));
        Assert.True(catalog.Count >= 30, $"{catalog.Count} mutants");
        Assert.Equal(catalog.Count, catalog.Select(m => m.Id).Distinct().Count());
        foreach (Mutant mutant in catalog)
        {
            string source = File.ReadAllText(Path.Combine(s_root, mutant.File)).Replace("\r\n", "\n", StringComparison.Ordinal);
            Assert.NotEqual(source, mutant.Apply(source));
            Assert.Matches("^I[1-9][0-9]?$", mutant.Invariant);
            Assert.Contains($"\n## {mutant.Invariant}. ", invariants, StringComparison.Ordinal); // the invariant it breaks is documented
        }
    }

    [Fact]
    public void Catalog_CoversEveryCoreFileTheGuardsAndWhatElseRunsConcurrently()
    {
        IReadOnlyList<Mutant> catalog = MutantCatalog.Load(s_root);
        IEnumerable<string> files = Directory.GetFiles(Path.Combine(s_root, "src", "Manager", "Core"), "*.cs")
            .Append(Path.Combine(s_root, "src", "Manager", "Guards.cs"))

            // The rest of what runs concurrently: the production seam's primitives, waiting, diagnostic mode's records.
            .Append(Path.Combine(s_root, "src", "Manager", "Seam", "ProductionSeam.cs"))
            .Append(Path.Combine(s_root, "src", "Manager", "Seam", "WaitLimit.cs"))
            .Append(Path.Combine(s_root, "src", "Manager", "Diagnostics", "DiagnosticTracker.cs"))
            .Select(f => Path.GetRelativePath(s_root, f).Replace('\\', '/'));
        foreach (string file in files)
        {
            Assert.Contains(catalog, m => m.File == file);
        }
    }

    [Fact]
    public void Runner_KillsMutantsOnlyTheRaceDetectorSees_AndReplaysThemInANewProcess()
    {
        // Bugs the first round's harness could not see: a message clear moved after the push, a write hold that takes
        // no new number (a header copy across the write validates), a message published before it is written. Each
        // replays in a new process.
        string folder = Path.Combine(Path.GetTempPath(), "mv-mutant-test-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var output = new StringWriter();
            int exit = Campaign.Run(["--mutant", "free-clear-after-push,write-no-sequence-bump,store-publish-before-write", "--strategy", "pct", "--out", folder], output, new StringWriter());
            Assert.True(exit == 0, output.ToString());
            string matrix = File.ReadAllText(Path.Combine(folder, "mutants.md"));
            Assert.Contains("| free-clear-after-push |", matrix, StringComparison.Ordinal);
            Assert.Contains("| write-no-sequence-bump |", matrix, StringComparison.Ordinal);
            Assert.Equal(3, matrix.Split('\n').Count(l => l.Contains("| Data-race freedom | yes | KilledByHarness |", StringComparison.Ordinal)));
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData("empty-single-collect", "steal-window", "| empty-single-collect | MissingRecheck | I7 | steal-window cap 3, 2x1, 2 shards | Linearizability | 1 |")]
    [InlineData("write-no-sequence-bump", "copy-vs-write", "| write-no-sequence-bump | MissingRecheck | I5 | copy-vs-write cap 1, 2x1 | Data-race freedom | 1 |")]
    [InlineData("exit-write-check-then-store", "copy-races", "| exit-write-check-then-store | Atomicity | I5 | copy-races cap 1, 2x1 | Read/write exclusion | 1 |")]
    [InlineData("classify-ignores-live", "last-generation", "| classify-ignores-live | MissingCheck | I6 | last-generation cap 1, 2x1 | Step bound | 0 |")]
    [InlineData("commit-skips-generation-check", "write-guard-copies", "| commit-skips-generation-check | MissingCheck | I12 | write-guard-copies cap 1, 2x1 | Read/write exclusion | 2 |")]
    [InlineData("read-guard-dispose-twice", "exhaustion", "| read-guard-dispose-twice | MissingCheck | I5 | exhaustion cap 1, 2x1 | Read/write exclusion | 0 |")]
    [InlineData("reader-limit-wrong-error", "reader-limit", "| reader-limit-wrong-error | WrongError | I5 | reader-limit cap 1, 2x1 | Linearizability | 1 |")]
    public void ModelChecker_KillsACatalogMutantWithItsMinimalCounterexample_AndReplaysIt(string mutant, string scenario, string row)
    {
        // Mutants of the real source the model checker was not written around: the double collect reduced
        // to one pass (a NoFreeSlots while a slot was free at every instant: linearizability), a write hold that
        // takes no number (a header copy accepted across a write: the race detector), a write release that checks
        // and then stores (the code before issue 25: a copy released on another task ends a Free's hold), a refusal that
        // retries for ever (the livelock check), a copy's Commit taking the next writer's write, and a read
        // guard released twice (the driver's check of released guards), and a Try-read at the reader limit
        // answering AlreadyBorrowed (reached by the phantom readers the reader-limit scenario starts with). Each at the suite's sizes of the
        // scenario that shows it (the runner's whole matrix goes through every scenario).
        string folder = Path.Combine(Path.GetTempPath(), "mv-model-mutant-test-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var output = new StringWriter();
            int exit = Campaign.Run(["--mutant", mutant, "--exhaustive", "--scenario", scenario, "--out", folder], output, new StringWriter());
            Assert.True(exit == 0, output.ToString());
            string matrix = File.ReadAllText(Path.Combine(folder, "mutants.md"));
            Assert.Contains(row, matrix, StringComparison.Ordinal);
            Assert.Single(matrix.Split('\n'), l => l.EndsWith("| yes | KilledByHarness |", StringComparison.Ordinal));
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
