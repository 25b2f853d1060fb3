using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace ManagerVerified.Analyzers.Tests;

/// <summary>MV0001 on every way of copying a guard, and silence on every way of using one properly.</summary>
public sealed class GuardCopyAnalyzerTests
{
    private const string Prelude = """
        using ManagerVerified;

        static class C
        {
            static void Use(ReadGuard<long> g) { }
            static void UseRef(ref ReadGuard<long> g) { }
            static void UseIn(in HeaderGuard g) { }

        """;

    [Theory]
    [InlineData("var copy = {|MV0001:g|};")]
    [InlineData("ReadGuard<long> other = m.Read(t); other.Dispose(); other = {|MV0001:g|};")]
    [InlineData("Use({|MV0001:g|});")]
    [InlineData("using ({|MV0001:g|}) { }")]
    public Task Copies_AreErrors(string body) => Verify(body);

    [Fact]
    public Task ReturningAGuardVariable_IsAnError() => VerifySource(Prelude + """
            static ReadGuard<long> Get(ConcurrentMemoryManager<long> m, MessageToken t)
            {
                ReadGuard<long> g = m.Read(t);
                return {|MV0001:g|};
            }
        }
        """);

    [Fact]
    public Task CopyingAWriteOrHeaderGuard_IsAnError() => VerifySource(Prelude + """
            static void M(ConcurrentMemoryManager<long> m, MessageToken t)
            {
                WriteGuard<long> w = m.Write(t);
                WriteGuard<long> w2 = {|MV0001:w|};
                w.Dispose();
                HeaderGuard h = m.PeekHeader(t);
                using ({|MV0001:h|}) { }
            }
        }
        """);

    [Theory]
    [InlineData("using (ReadGuard<long> fresh = m.Read(t)) { }")]
    [InlineData("using var fresh = m.Read(t);")]
    [InlineData("if (m.TryRead(t, out ReadGuard<long> fresh, out _)) { fresh.Dispose(); }")]
    [InlineData("ref ReadGuard<long> alias = ref g; alias.Dispose();")]
    [InlineData("UseRef(ref g);")]
    [InlineData("HeaderGuard h = m.PeekHeader(t); UseIn(in h); h.Dispose();")]
    [InlineData("long v = g.Value.Payload; g.Dispose();")]
    public Task ProperUse_IsSilent(string body) => Verify(body);

    private static Task Verify(string body) => VerifySource(Prelude + $$"""
            static void M(ConcurrentMemoryManager<long> m, MessageToken t)
            {
                ReadGuard<long> g = m.Read(t);
                {{body}}
            }
        }
        """);

    private static Task VerifySource(string source)
    {
        var test = new CSharpAnalyzerTest<GuardCopyAnalyzer, DefaultVerifier>
        {
            TestCode = source,

            // The running runtime's own assemblies and ManagerVerified.dll: nothing is downloaded.
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(RuntimeReferences.Value);
        return test.RunAsync();
    }

    private static readonly Lazy<ImmutableArray<MetadataReference>> RuntimeReferences = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(ReadGuard<>).Assembly.Location)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray());
}
