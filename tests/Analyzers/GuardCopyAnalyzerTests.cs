using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace ManagerVerified.Analyzers.Tests;

/// <summary>MV0001 on every way C# can copy a guard without <c>unsafe</c> (one row per form, each a compile error),
/// and silence on every way of using one properly. docs/reliability.md lists what it cannot see.</summary>
public sealed class GuardCopyAnalyzerTests
{
    private const string Prelude = """
        using System;
        using System.Collections;
        using System.Collections.Generic;
        using System.Runtime.CompilerServices;
        using ManagerVerified;

        ref struct Holder { public ReadGuard<long> G; }
        ref struct Box<T> where T : allows ref struct { public T Value; }
        ref struct Bag : IEnumerable<ReadGuard<long>>
        {
            public void Add(ReadGuard<long> g) { }
            public IEnumerator<ReadGuard<long>> GetEnumerator() => throw new NotSupportedException();
            IEnumerator IEnumerable.GetEnumerator() => throw new NotSupportedException();
        }
        ref struct WithAutoProperty { public ReadGuard<long> G { get; set; } }
        ref struct Getter<T> where T : allows ref struct { public T Value; public readonly T Get() => Value; }
        ref struct Adder
        {
            public ReadGuard<long> G;
            public static int operator +(Adder a, int b) => b;
            public Adder Clone() => {|MV0001:this|};
        }
        ref struct Pair
        {
            public ReadGuard<long> A;
            public void Deconstruct(out ReadGuard<long> a, out int n) { a = {|MV0001:A|}; n = 0; }
        }

        static class C
        {
            static void Use(ReadGuard<long> g) { }
            static void UseRef(ref ReadGuard<long> g) { }
            static void UseIn(in HeaderGuard g) { _ = g.Value; }
            static ref ReadGuard<long> Same(ref ReadGuard<long> x) => ref x;
            static T Id<T>(ref T x) where T : allows ref struct => x;
            static void Dup<T>(ref T x, out T y) where T : allows ref struct => y = x;
            static Box<T> Wrap<T>(ref T x) where T : allows ref struct => new Box<T> { Value = x };
            static void CopyTo(in ReadGuard<long> from, out ReadGuard<long> to) => to = {|MV0001:from|};
            static void DisposeIn(in ReadGuard<long> g) => {|MV0001:g|}.Dispose();

        """;

    /// <summary>Every copy form: the body runs with a guard <c>g</c>, a second guard <c>h</c>, a manager <c>m</c>, a
    /// token <c>t</c> and a bool <c>b</c> in scope; the marked span is where MV0001 must be reported.</summary>
    [Theory]
    [InlineData("initialization", "var copy = {|MV0001:g|};")]
    [InlineData("assignment", "ReadGuard<long> other = m.Read(t); other.Dispose(); other = {|MV0001:g|};")]
    [InlineData("by-value argument", "Use({|MV0001:g|});")]
    [InlineData("delegate argument", "Func<ReadGuard<long>, int> f = x => 0; f({|MV0001:g|});")]
    [InlineData("using an existing guard", "using ({|MV0001:g|}) { }")]
    [InlineData("conditional expression", "ReadGuard<long> c = b ? {|MV0001:g|} : default;")]
    [InlineData("ref conditional read by value", "ReadGuard<long> c = b ? ref {|MV0001:g|} : ref {|MV0001:h|};")]
    [InlineData("switch expression", "ReadGuard<long> c = b switch { true => {|MV0001:g|}, _ => default };")]
    [InlineData("ref-returning call (Unsafe.AsRef)", "ReadGuard<long> c = {|MV0001:Unsafe.AsRef(in g)|};")]
    [InlineData("ref-returning helper", "ReadGuard<long> c = {|MV0001:Same(ref g)|};")]
    [InlineData("generic identity by ref", "ReadGuard<long> c = {|MV0001:Id(ref g)|};")]
    [InlineData("generic call handing back its argument through an out parameter", "{|MV0001:Dup(ref g, out ReadGuard<long> c)|};")]
    [InlineData("generic call wrapping its argument", "var w = {|MV0001:Wrap(ref g)|};")]
    [InlineData("generic getter of a holder", "var box = new Getter<ReadGuard<long>> { Value = m.Read(t) }; ReadGuard<long> c = {|MV0001:box.Get()|};")]
    [InlineData("auto-property read", "var holder = new WithAutoProperty { G = m.Read(t) }; ReadGuard<long> c = {|MV0001:holder.G|};")]
    [InlineData("user-defined operator's operand", "Adder a = new() { G = m.Read(t) }; int x = {|MV0001:a|} + 1;")]
    [InlineData("this of a holder (marked in the prelude)", "")]
    [InlineData("deconstruction (a Deconstruct method's out argument, marked in the prelude)", "Pair pair = new() { A = m.Read(t) }; var (c, n) = pair;")]
    [InlineData("with expression", "ReadGuard<long> c = {|MV0001:g|} with { };")]
    [InlineData("out argument assigned from a guard", "CopyTo(in g, out ReadGuard<long> c);")]
    [InlineData("collection expression", "Bag bag = [{|MV0001:g|}];")]
    [InlineData("collection initializer", "Bag bag = new() { {|MV0001:g|} };")]
    [InlineData("pattern variable", "if (g is {|MV0001:var c|}) { }")]
    [InlineData("typed pattern variable", "switch (g) { case {|MV0001:ReadGuard<long> c|}: break; }")]
    [InlineData("a ref struct holding a guard", "Holder one = new() { G = m.Read(t) }; Holder two = {|MV0001:one|};")]
    [InlineData("a guard field of a generic holder", "var box = new Box<ReadGuard<long>> { Value = m.Read(t) }; ReadGuard<long> c = {|MV0001:box.Value|};")]
    [InlineData("Dispose on an in parameter (hidden copy)", "DisposeIn(in g);")]
    [InlineData("Dispose on a using variable (hidden copy)", "using var u = m.Read(t); {|MV0001:u|}.Dispose();")]
    public Task Copies_AreErrors(string form, string body)
    {
        _ = form; // the row's name in the test list
        return Verify(body);
    }

    [Fact]
    public Task ATupleOfGuards_IsACompileErrorAlready()
    {
        // No tuple can hold a ref struct (CS9244), so no tuple can copy a guard; MV0001 reports the element too.
        var test = Test("""
            using ManagerVerified;

            static class C
            {
                static void M(ConcurrentMemoryManager<long> m, MessageToken t)
                {
                    ReadGuard<long> g = m.Read(t);
                    (ReadGuard<long> c, int n) = ({|#0:g|}, 1);
                }
            }
            """);
        test.CompilerDiagnostics = CompilerDiagnostics.Errors;
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerError("CS9244").WithLocation(0));
        test.ExpectedDiagnostics.Add(new DiagnosticResult(GuardCopyAnalyzer.Id, DiagnosticSeverity.Error).WithLocation(0));
        return test.RunAsync();
    }

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
    [InlineData("HeaderGuard hg = m.PeekHeader(t); UseIn(in hg); hg.Dispose();")]
    [InlineData("long v = g.Value.Payload; g.Dispose();")]
    [InlineData("ReadGuard<long> fresh = b ? m.Read(t) : m.Read(t); fresh.Dispose();")]
    [InlineData("ref ReadGuard<long> alias = ref Same(ref g); alias.Dispose();")]
    [InlineData("Unsafe.AsRef(in g).Dispose();")]
    [InlineData("using var w = m.Write(t); w.Value.Payload = 1; w.Commit();")]
    [InlineData("if (g is { Value.Payload: > 0 }) { }")]
    [InlineData("Holder one = new() { G = m.Read(t) }; one.G.Dispose();")]
    public Task ProperUse_IsSilent(string body) => Verify(body);

    private static Task Verify(string body) => VerifySource(Prelude + $$"""
            static void M(ConcurrentMemoryManager<long> m, MessageToken t, bool b)
            {
                ReadGuard<long> g = m.Read(t);
                ReadGuard<long> h = m.Read(t);
                {{body}}
            }
        }
        """);

    private static Task VerifySource(string source) => Test(source).RunAsync();

    private static CSharpAnalyzerTest<GuardCopyAnalyzer, DefaultVerifier> Test(string source)
    {
        var test = new CSharpAnalyzerTest<GuardCopyAnalyzer, DefaultVerifier>
        {
            TestCode = source,

            // The running runtime's own assemblies and ManagerVerified.dll: nothing is downloaded.
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(RuntimeReferences.Value);
        return test;
    }

    private static readonly Lazy<ImmutableArray<MetadataReference>> RuntimeReferences = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(ReadGuard<>).Assembly.Location)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray());
}
