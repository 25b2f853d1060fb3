using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace ManagerVerified.Analyzers.Tests;

/// <summary>MV0100 on a small core shaped like the manager's: every way of touching its shared state around the
/// seam is an error, every access through the seam (directly or through a ref local), the constructor, the
/// accessors and inspection members are silent. The manager's own source builds with the rule on, and the catalog's
/// seam-bypass mutants of the real source are killed by it (docs/verification.md).</summary>
public sealed class SeamBypassAnalyzerTests
{
    private const string Prelude = """
        using System;
        using System.Threading;

        namespace ManagerVerified.Seam
        {
            interface IAtomics
            {
                long Load(ref long location);
                void Store(ref long location, long value);
                long CompareExchange(ref long location, long value, long comparand);
                int Add(ref int location, int delta);
            }

            interface IWaiting { bool WaitWhileUnchanged(long[] words, int index, long observed); }

            interface IConcurrencySeam : IAtomics, IWaiting { }
        }

        namespace ManagerVerified.Core
        {
            using ManagerVerified.Seam;

            sealed class SharedStateAttribute : Attribute { }
            sealed class InspectionAttribute : Attribute { }

            struct Shard { [SharedState] public long Head; }

            sealed class Core<TSeam> where TSeam : struct, IConcurrencySeam
            {
                [SharedState] private readonly long[] _state = new long[8];
                [SharedState] private int _count;
                private readonly Shard[] _shards = new Shard[2];
                private TSeam _seam;

                public Core() { _state[0] = 1; _count = 2; _shards[0].Head = 3; }

                [SharedState] private ref long WordOf(int i) => ref _state[i];

                [Inspection] public long Peek(int i) => Volatile.Read(ref _state[i]);

                [Inspection] public ref long At(int i) => ref _state[i];

        """;

    private const string Coda = """
            }
        }
        """;

    [Theory]
    [InlineData("long Op(int i) => Volatile.Read(ref {|MV0100:WordOf(i)|});")]
    [InlineData("long Op(int i) => {|MV0100:WordOf(i)|};")]
    [InlineData("void Op(int i) => {|MV0100:WordOf(i)|} = 1;")]
    [InlineData("long Op(int i) { ref long slot = ref WordOf(i); return {|MV0100:slot|}; }")]
    [InlineData("long Op(int i) { ref long slot = ref WordOf(i); _seam.Load(ref slot); return Interlocked.Increment(ref {|MV0100:slot|}); }")]
    [InlineData("int Op() => Interlocked.Increment(ref {|MV0100:_count|});")]
    [InlineData("long Op() => {|MV0100:_state|}[0];")]
    [InlineData("long Op() => Volatile.Read(ref {|MV0100:_shards[1].Head|});")]
    [InlineData("void Op() => {|MV0100:_shards[1].Head|} = 4;")]
    [InlineData("long Op(int i) { ref long a = ref WordOf(i); ref long b = ref a; return Volatile.Read(ref {|MV0100:b|}); }")]
    [InlineData("long Op(int i) => Volatile.Read(ref {|MV0100:At(i)|});")]
    [InlineData("long Op(int i) => {|MV0100:Peek(i)|};")]
    public Task AroundTheSeam_IsAnError(string member) => Verify(member);

    [Theory]
    [InlineData("long Op(int i) => _seam.Load(ref WordOf(i));")]
    [InlineData("void Op(int i) { ref long slot = ref WordOf(i); long w = _seam.Load(ref slot); _seam.Store(ref slot, w + 1); }")]
    [InlineData("long Op(int i) { ref long slot = ref WordOf(i); long w = _seam.Load(ref slot); return _seam.CompareExchange(ref slot, w + 1, w); }")]
    [InlineData("int Op() => _seam.Add(ref _count, 1);")]
    [InlineData("bool Op(int i) => _seam.WaitWhileUnchanged(_state, i, 0);")]
    [InlineData("long Op() { ref Shard shard = ref _shards[0]; return _seam.Load(ref shard.Head); }")]
    [InlineData("[Inspection] long Op() => Volatile.Read(ref _shards[1].Head);")]
    [InlineData("[Inspection] long Op(int i) => Volatile.Read(ref At(i)) + Peek(i);")]
    [InlineData("long Op(int i) { ref long a = ref WordOf(i); ref long b = ref a; return _seam.Load(ref b); }")]
    [InlineData("bool Op(ref long location) => System.Runtime.CompilerServices.Unsafe.AreSame(ref location, ref _shards[0].Head);")]
    public Task ThroughTheSeam_IsSilent(string member) => Verify(member);

    private static Task Verify(string member)
    {
        var test = new CSharpAnalyzerTest<SeamBypassAnalyzer, DefaultVerifier>
        {
            TestCode = Prelude + "        " + member + "\n" + Coda,
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),

            // MV0100 has two messages (shared state touched, an [Inspection] member used): the markup checks the id.
            MarkupOptions = MarkupOptions.UseFirstDescriptor,
        };
        test.TestState.AdditionalReferences.AddRange(
            ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
                .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
                .Select(p => Microsoft.CodeAnalysis.MetadataReference.CreateFromFile(p)));
        return test.RunAsync();
    }
}
