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
        PackedFeed packed = PackedFeed.Shared;
        string work = packed.NewFolder("consumer");
        string output = DotnetCli.RunChecked(root, "run", "--project", "samples/PackageConsumer", "-c", "Release",
            $"-p:ManagerVerifiedVersion={packed.Version}", $"-p:RestoreAdditionalProjectSources={packed.Feed}",
            $"-p:RestorePackagesPath={packed.Packages}", $"-p:BaseIntermediateOutputPath={Path.Combine(work, "obj")}/", $"-p:BaseOutputPath={Path.Combine(work, "bin")}/");
        Assert.Contains("payload=42 stale=True available=4/4", output, StringComparison.Ordinal);
        // The library came from the package restored out of the folder feed, not from a project reference.
        Assert.True(File.Exists(Path.Combine(packed.Packages, "managerverified", packed.Version, "lib", "net10.0", "ManagerVerified.dll")));

        // The package carries the guard-copy analyzer: a consumer that copies a guard does not build.
        Assert.True(File.Exists(Path.Combine(packed.Packages, "managerverified", packed.Version, "analyzers", "dotnet", "cs", "ManagerVerified.Analyzers.dll")));
        (int exit, string copied) = DotnetCli.Run(root, "build", "samples/PackageConsumer", "-c", "Release", "-p:DefineConstants=COPY_GUARD",
            $"-p:ManagerVerifiedVersion={packed.Version}", $"-p:RestoreAdditionalProjectSources={packed.Feed}",
            $"-p:RestorePackagesPath={packed.Packages}", $"-p:BaseIntermediateOutputPath={Path.Combine(work, "obj")}/", $"-p:BaseOutputPath={Path.Combine(work, "bin")}/");
        Assert.NotEqual(0, exit);
        Assert.Contains("MV0001", copied, StringComparison.Ordinal);
        Assert.DoesNotContain("ProjectReference", File.ReadAllText(Path.Combine(root, "samples", "PackageConsumer", "PackageConsumer.csproj")), StringComparison.Ordinal);
    }

    [Fact]
    public void CoyoteConsumer_CopiedOutOfTheRepository_RewritesThePackage_FindsAndReplaysItsOwnBug()
    {
        // A consumer's own Coyote test of its own component, copied out of the repository first (so no
        // Directory.Build.props or tool manifest of ours applies): its build restores the coyote tool from
        // its own manifest and rewrites its assembly and the shipped ManagerVerified.dll; the correct
        // hand-off survives, the planted read-after-hand-over is caught with the manager's typed error
        // and replays from its trace.
        string root = DotnetCli.RepositoryRoot();
        PackedFeed packed = PackedFeed.Shared;
        string project = packed.NewFolder("coyote-consumer");
        CopyTree(Path.Combine(root, "samples", "CoyoteConsumer"), project);
        string output = DotnetCli.RunChecked(project, "run", "-c", "Release",
            $"-p:ManagerVerifiedVersion={packed.Version}", $"-p:RestoreAdditionalProjectSources={packed.Feed}",
            $"-p:RestorePackagesPath={packed.Packages}");
        Assert.Contains("correct hand-off: 0 bugs in 100 iterations", output, StringComparison.Ordinal);
        Assert.Matches("read after hand-over: 1 bug after [0-9]+ iterations: the manager refused an operation with StaleToken", output);
        Assert.Contains("replayed from its trace: the manager refused an operation with StaleToken", output, StringComparison.Ordinal);
        Assert.EndsWith("OK", output.TrimEnd(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(packed.Packages, "managerverified", packed.Version, "lib", "net10.0", "ManagerVerified.dll")));
    }

    private static void CopyTree(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(from, file);
            if (relative.StartsWith("bin", StringComparison.Ordinal) || relative.StartsWith("obj", StringComparison.Ordinal))
            {
                continue;
            }

            string target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>The package, packed once for the consumer tests into a temporary folder feed (removed at exit).</summary>
    private sealed class PackedFeed
    {
        private static readonly Lazy<PackedFeed> s_shared = new(() => new PackedFeed());
        private readonly string _work = Path.Combine(Path.GetTempPath(), "mv-pack-" + Guid.NewGuid().ToString("N"));

        private PackedFeed()
        {
            Version = "0.1.0-test" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
            Feed = Path.Combine(_work, "feed");
            Packages = Path.Combine(_work, "packages");
            DotnetCli.RunChecked(DotnetCli.RepositoryRoot(), "pack", "src/Manager", "-c", "Release", "-o", Feed, $"-p:Version={Version}", "-p:CoyoteRewrite=false");
            Assert.True(File.Exists(Path.Combine(Feed, $"ManagerVerified.{Version}.nupkg")));
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                try
                {
                    Directory.Delete(_work, recursive: true);
                }
                catch (IOException)
                {
                }
            };
        }

        public static PackedFeed Shared => s_shared.Value;

        public string Version { get; }

        public string Feed { get; }

        public string Packages { get; }

        public string NewFolder(string name)
        {
            string folder = Path.Combine(_work, name + "-" + Guid.NewGuid().ToString("N")[..6]);
            Directory.CreateDirectory(folder);
            return folder;
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
