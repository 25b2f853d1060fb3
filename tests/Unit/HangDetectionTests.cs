namespace ManagerVerified.Tests.Unit;

/// <summary>
/// A hung test fails the run in bounded time and is named: tests/HangProbe holds a real liveness bug
/// (a leaked read guard, then a blocking Free of the same message), switched on by MV_HANG_PROBE=1.
/// It runs under the repository's one hang policy (Directory.Build.targets), with the timeout shortened
/// to 15 s, and its output goes through the same summary script as .ci/run.
/// </summary>
[Collection(DotnetCliCollection.Name)]
public sealed class HangDetectionTests
{
    private const string HungTest = "ManagerVerified.Tests.HangProbe.LivenessProbeTests.Probe_FreeWaitsForALeakedReader";

    [Fact]
    public void HungTest_FailsTheRun_NamesTheTest_AndTheSummaryCountsIt()
    {
        string root = DotnetCli.RepositoryRoot();
        (int exit, string output) = DotnetCli.Run(
            root,
            new Dictionary<string, string> { ["MV_HANG_PROBE"] = "1" },
            TimeSpan.FromMinutes(5), // a bound on the child process (it is killed there), not a timing assertion
            "test", "tests/HangProbe", "-p:VSTestBlameHangTimeout=15s");

        Assert.NotEqual(0, exit);
        Assert.Contains("Test Run Aborted.", output, StringComparison.Ordinal);
        Assert.Contains("The test running when the crash occurred:", output, StringComparison.Ordinal);
        Assert.Contains(HungTest, output, StringComparison.Ordinal);

        string summary = Summarize(root, output);
        Assert.Equal("1 passed, 1 failed", summary);
    }

    [Fact]
    public void Summary_CleanRunsAndAborts_CountedFromTheConsole()
    {
        string root = DotnetCli.RepositoryRoot();
        const string clean = "Passed!  - Failed:     0, Passed:    90, Skipped:     0, Total:    90, Duration: 19 s - A.dll (net10.0)\n" +
                             "Failed!  - Failed:     2, Passed:    97, Skipped:     0, Total:    99, Duration: 2 m - B.dll (net10.0)\n";
        Assert.Equal("187 passed, 2 failed", Summarize(root, clean));

        // An abort that names no test still counts as a failure.
        Assert.Equal("187 passed, 3 failed", Summarize(root, clean + "Test Run Aborted.\n"));

        // So does an assembly the run must have and did not report (it did not build), as .ci/run counts.
        Assert.Equal("187 passed, 3 failed", Summarize(root, clean, expectedAssemblies: 3));
        Assert.Equal("187 passed, 2 failed", Summarize(root, clean, expectedAssemblies: 2));
    }

    private static string Summarize(string root, string log, int expectedAssemblies = 0)
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, log);
            (int exit, string output) = DotnetCli.RunProcess(root, "bash", null, TimeSpan.FromMinutes(1), Path.Combine(root, "build", "test-summary.sh"), file, expectedAssemblies.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(0, exit);
            return output.Trim();
        }
        finally
        {
            File.Delete(file);
        }
    }
}
