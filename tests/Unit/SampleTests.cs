using ManagerVerified.Samples.Pipeline;

namespace ManagerVerified.Tests.Unit;

/// <summary>The samples run as tests: the token pipeline, and consumers built from the packed NuGet package
/// (one of them a Coyote test of its own component).</summary>
[Collection(DotnetCliCollection.Name)]
public sealed class SampleTests
{
    [Theory]
    [InlineData(5_000, 8)]
    [InlineData(2_000, 1)]
    public async Task TokenPipeline_PassesEveryMessageOnce_WithinCapacity(int count, int capacity)
    {
        PipelineResult result = await TokenPipeline.RunAsync(count, capacity);
        Assert.Equal(count, result.Consumed);
        double expected = Enumerable.Range(0, count).Sum(i => (i * 0.5 * 9 / 5) + 32);
        Assert.Equal(expected, result.Sum, precision: 6);
        Assert.InRange(result.MaxInFlight, 1, capacity);
    }

    [Fact]
    public void PackageConsumer_BuiltFromFolderFeed_Runs()
    {
        string root = DotnetCli.RepositoryRoot();
        string work = Path.Combine(Path.GetTempPath(), "mv-pack-" + Guid.NewGuid().ToString("N"));
        string feed = Path.Combine(work, "feed");
        string packages = Path.Combine(work, "packages");
        string version = "0.1.0-test" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            DotnetCli.RunChecked(root, "pack", "src/Manager", "-c", "Release", "-o", feed, $"-p:Version={version}", "-p:CoyoteRewrite=false");
            Assert.True(File.Exists(Path.Combine(feed, $"ManagerVerified.{version}.nupkg")));
            string output = DotnetCli.RunChecked(root, "run", "--project", "samples/PackageConsumer", "-c", "Release",
                $"-p:ManagerVerifiedVersion={version}", $"-p:RestoreAdditionalProjectSources={feed}",
                $"-p:RestorePackagesPath={packages}", $"-p:BaseIntermediateOutputPath={Path.Combine(work, "obj")}/", $"-p:BaseOutputPath={Path.Combine(work, "bin")}/");
            Assert.Contains("payload=42 stale=True available=4/4", output, StringComparison.Ordinal);
            // The library came from the package restored out of the folder feed, not from a project reference.
            Assert.True(File.Exists(Path.Combine(packages, "managerverified", version, "lib", "net10.0", "ManagerVerified.dll")));

            // The package carries the guard-copy analyzer: a consumer that copies a guard does not build.
            Assert.True(File.Exists(Path.Combine(packages, "managerverified", version, "analyzers", "dotnet", "cs", "ManagerVerified.Analyzers.dll")));
            (int exit, string copied) = DotnetCli.Run(root, "build", "samples/PackageConsumer", "-c", "Release", "-p:DefineConstants=COPY_GUARD",
                $"-p:ManagerVerifiedVersion={version}", $"-p:RestoreAdditionalProjectSources={feed}",
                $"-p:RestorePackagesPath={packages}", $"-p:BaseIntermediateOutputPath={Path.Combine(work, "obj")}/", $"-p:BaseOutputPath={Path.Combine(work, "bin")}/");
            Assert.NotEqual(0, exit);
            Assert.Contains("MV0001", copied, StringComparison.Ordinal);
            Assert.DoesNotContain("ProjectReference", File.ReadAllText(Path.Combine(root, "samples", "PackageConsumer", "PackageConsumer.csproj")), StringComparison.Ordinal);

            // A consumer's own Coyote test of its own component, on the same package: its build rewrites
            // its assembly and the shipped ManagerVerified.dll; the correct hand-off survives, the planted
            // read-after-hand-over is caught with the manager's typed error and replays from its trace.
            string coyote = DotnetCli.RunChecked(root, "run", "--project", "samples/CoyoteConsumer", "-c", "Release",
                $"-p:ManagerVerifiedVersion={version}", $"-p:RestoreAdditionalProjectSources={feed}",
                $"-p:RestorePackagesPath={packages}", $"-p:BaseIntermediateOutputPath={Path.Combine(work, "cobj")}/", $"-p:BaseOutputPath={Path.Combine(work, "cbin")}/");
            Assert.Contains("correct hand-off: 0 bugs in 100 iterations", coyote, StringComparison.Ordinal);
            Assert.Matches("read after hand-over: 1 bug after [0-9]+ iterations: the manager refused an operation with StaleToken", coyote);
            Assert.Contains("replayed from its trace: the manager refused an operation with StaleToken", coyote, StringComparison.Ordinal);
            Assert.EndsWith("OK", coyote.TrimEnd(), StringComparison.Ordinal);
            Assert.DoesNotContain("ProjectReference", File.ReadAllText(Path.Combine(root, "samples", "CoyoteConsumer", "CoyoteConsumer.csproj")), StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    [Fact]
    public void PublicApiTracking_UndeclaredPublicType_FailsTheBuild()
    {
        // Its own configuration keeps the probe's outputs apart from Debug and Release (bin/ApiProbe, obj/ApiProbe).
        (int exit, string output) = DotnetCli.Run(DotnetCli.RepositoryRoot(), "build", "src/Manager", "-c", "ApiProbe", "-p:ApiProbe=true");
        Assert.NotEqual(0, exit);
        Assert.Contains("RS0016", output, StringComparison.Ordinal);
        Assert.Contains("UndeclaredApiProbe", output, StringComparison.Ordinal);
    }
}
