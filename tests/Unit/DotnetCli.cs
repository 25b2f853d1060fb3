using System.Diagnostics;

namespace ManagerVerified.Tests.Unit;

/// <summary>Runs the dotnet CLI (or another process) from tests: the repository root, checked and raw runs, a bound on each child.</summary>
internal static class DotnetCli
{
    private static readonly TimeSpan DefaultBound = TimeSpan.FromMinutes(5);

    /// <summary>The folder holding ManagerVerified.sln, found above the test output.</summary>
    internal static string RepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "ManagerVerified.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("ManagerVerified.sln not found above the test output");
    }

    /// <summary>Runs dotnet and fails the test when it exits non-zero.</summary>
    internal static string RunChecked(string workingDirectory, params string[] args)
    {
        (int exit, string output) = Run(workingDirectory, null, DefaultBound, args);
        Assert.True(exit == 0, $"dotnet {string.Join(' ', args)} failed ({exit}):\n{output}");
        return output;
    }

    /// <summary>Runs dotnet; returns its exit code and its output (stdout, then stderr).</summary>
    internal static (int Exit, string Output) Run(string workingDirectory, IReadOnlyDictionary<string, string>? environment, TimeSpan bound, params string[] args) =>
        RunProcess(workingDirectory, "dotnet", environment, bound, args);

    /// <summary>Runs dotnet with the default bound.</summary>
    internal static (int Exit, string Output) Run(string workingDirectory, params string[] args) =>
        Run(workingDirectory, null, DefaultBound, args);

    /// <summary>
    /// Runs a process. A child still running after <paramref name="bound"/> is killed with its tree and
    /// the test fails saying so: a stuck child must not become a stuck test.
    /// </summary>
    internal static (int Exit, string Output) RunProcess(string workingDirectory, string fileName, IReadOnlyDictionary<string, string>? environment, TimeSpan bound, params string[] args)
    {
        var start = new ProcessStartInfo(fileName) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(bound))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{fileName} {string.Join(' ', args)} was still running after {bound} and was killed");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>Tests that start dotnet builds share build outputs (src/Manager's obj/), so they never run in parallel.</summary>
[CollectionDefinition(Name)]
public sealed class DotnetCliCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "dotnet CLI";
}
