using System.Text.RegularExpressions;

namespace ManagerVerified.Tests.Unit;

/// <summary>
/// The CI workflow users copy (.github/workflows/verify.yml) is valid against the GitHub Actions
/// schema (checked by @action-validator/cli through npx, which is shown rejecting a misspelt key), and
/// every runner flag it passes exists in the runner's --help.
/// </summary>
[Collection(DotnetCliCollection.Name)]
public sealed partial class WorkflowTests
{
    private const string Validator = "@action-validator/cli@0.6.0";
    private static readonly string s_root = DotnetCli.RepositoryRoot();
    private static readonly string s_workflow = Path.Combine(s_root, ".github", "workflows", "verify.yml");

    [Fact]
    public void Workflow_IsValidAgainstTheSchema()
    {
        (int exit, string output) = Validate(s_workflow);
        Assert.True(exit == 0, $"{Validator} rejected the workflow:\n{output}");
    }

    [Fact]
    public void Validator_RejectsAMisspeltKey()
    {
        string broken = Path.Combine(Path.GetTempPath(), $"verify-broken-{Guid.NewGuid():N}.yml");
        File.WriteAllText(broken, File.ReadAllText(s_workflow).Replace("runs-on:", "runs_on:", StringComparison.Ordinal));
        try
        {
            (int exit, _) = Validate(broken);
            Assert.NotEqual(0, exit);
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Fact]
    public void Workflow_UsesOnlyFlagsTheRunnerHas()
    {
        string help = DotnetCli.RunChecked(s_root, "run", "--project", "tools/Verify", "--", "--help");
        string workflow = File.ReadAllText(s_workflow);
        string[] flags = [.. Flag().Matches(workflow).Select(m => m.Value).Distinct()];
        Assert.Contains("--shard", flags);
        Assert.Contains("--merge", flags);
        Assert.All(flags, flag => Assert.Matches($@"(?m)^\s+{Regex.Escape(flag)}\b", help));
    }

    private static (int Exit, string Output) Validate(string file)
    {
        string? npx = Environment.GetEnvironmentVariable("PATH")?.Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "npx")).FirstOrDefault(File.Exists);
        Assert.True(npx is not null, "npx (Node.js) is not on PATH: the workflow cannot be validated; install Node.js to run this test");
        return DotnetCli.RunProcess(s_root, npx!, environment: null, TimeSpan.FromMinutes(3), "--yes", Validator, file);
    }

    // Runner flags in the workflow's `dotnet run --project tools/Verify ... -- <flags>` commands.
    [GeneratedRegex(@"(?<=\s)--(?!project\b)[a-z][a-z-]+")]
    private static partial Regex Flag();
}
