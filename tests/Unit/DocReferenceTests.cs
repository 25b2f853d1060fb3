using System.Reflection;
using System.Text.RegularExpressions;

namespace ManagerVerified.Tests.Unit;

/// <summary>
/// Comments and docs name code; renaming the code must not leave them pointing at nothing (the first
/// round's banners cited <c>SlotWord.Classify</c>, <c>AbaMonitor</c> and <c>CoyoteRuns.Configure</c>,
/// none of which existed). Checked: every <c>`Name`</c> and <c>`Type.Member`</c> in README.md and
/// docs/*.md, and every <c>Type.Member</c> in a <c>//</c> comment under src/, tools/ and tests/.
/// A name resolves when the repository declares it (a type, or a member of that type's files) or
/// the runtime or Coyote has it.
/// </summary>
public sealed partial class DocReferenceTests
{
    private static readonly string s_root = DotnetCli.RepositoryRoot();

    // The Rust seed's names, which README's mapping table cites on purpose.
    private static readonly HashSet<string> s_seedNames = ["Vec", "RwLock", "ConcurrentReadGuard"];

    [Fact]
    public void DocsAndComments_NameOnlyCodeThatExists()
    {
        var code = new CodeIndex(s_root);
        var missing = new List<string>();
        foreach ((string file, string reference) in References())
        {
            if (!s_seedNames.Contains(reference) && !code.Resolves(reference))
            {
                missing.Add($"{file}: {reference}");
            }
        }

        Assert.True(missing.Count == 0, "names nothing in the code:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void Checker_FlagsANameThatDoesNotExist()
    {
        // The three drifted names the review found, and one that exists.
        var code = new CodeIndex(s_root);
        Assert.False(code.Resolves("SlotWord.Classify"));
        Assert.False(code.Resolves("AbaMonitor"));
        Assert.False(code.Resolves("CoyoteRuns.Configure"));
        Assert.True(code.Resolves("SlotManager.Classify"));
        Assert.False(code.Resolves("SlotManager.TryPop")); // called there (_freeList.TryPop), declared elsewhere
        Assert.True(code.Resolves("TaggedFreeList.TryPop"));
        Assert.True(code.Resolves("SlotManager.SnapshotQuiescent")); // an extension method
        Assert.True(code.Resolves("Volatile.ReadBarrier"));
    }

    private static IEnumerable<(string File, string Reference)> References()
    {
        IEnumerable<string> docs = Directory.GetFiles(Path.Combine(s_root, "docs"), "*.md")
            .Append(Path.Combine(s_root, "README.md")).Append(Path.Combine(s_root, "tests", "Mutants", "README.md"));
        foreach (string doc in docs)
        {
            foreach (Match m in BacktickName().Matches(File.ReadAllText(doc)))
            {
                yield return (Path.GetFileName(doc), m.Groups["name"].Value);
            }
        }

        // This file's examples name missing code on purpose.
        foreach (string source in SourceFiles(s_root).Where(f => Path.GetFileName(f) != $"{nameof(DocReferenceTests)}.cs"))
        {
            foreach (string line in File.ReadLines(source))
            {
                string text = Url().Replace(line, string.Empty);
                int comment = text.IndexOf("//", StringComparison.Ordinal);
                if (comment < 0)
                {
                    continue;
                }

                foreach (Match m in DottedName().Matches(text[comment..]))
                {
                    yield return (Path.GetRelativePath(s_root, source), m.Value);
                }
            }
        }
    }

    private static IEnumerable<string> SourceFiles(string root) =>
        new[] { "src", "tools", "tests", "bench", "samples" }
            .Select(d => Path.Combine(root, d))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    // `Name`, `Type.Member`, `Type<T>.Member`, `Member()`: a capitalized identifier path in backticks.
    [GeneratedRegex(@"`(?<name>[A-Z][A-Za-z0-9_]*(?:<[A-Za-z, ]+>)?(?:\.[A-Z][A-Za-z0-9_]*)*)(?:\(\))?`")]
    private static partial Regex BacktickName();

    [GeneratedRegex(@"\w+://\S+")]
    private static partial Regex Url();

    // Type.Member in a comment: two capitalized identifiers joined by a dot (not a file name such as Directory.Build.targets).
    [GeneratedRegex(@"\b[A-Z][A-Za-z0-9_]*[a-z][A-Za-z0-9_]*\.[A-Z][A-Za-z0-9_]*\b(?!\.[a-z])")]
    private static partial Regex DottedName();

    /// <summary>What the repository declares (from its source, comments stripped) and what the runtime has.</summary>
    private sealed partial class CodeIndex
    {
        private readonly Dictionary<string, List<string>> _typeFiles = [];
        private readonly Dictionary<string, string> _code = [];
        private readonly HashSet<string> _words = [];
        private readonly Dictionary<string, Type> _external = [];

        public CodeIndex(string root)
        {
            foreach (string file in SourceFiles(root))
            {
                string code = StripComments(File.ReadAllText(file));
                _code[file] = code;
                foreach (Match m in Declaration().Matches(code))
                {
                    string name = m.Groups["name"].Value;
                    if (!_typeFiles.TryGetValue(name, out List<string>? files))
                    {
                        _typeFiles[name] = files = [];
                    }

                    files.Add(file);
                }

                foreach (Match m in Word().Matches(code))
                {
                    _words.Add(m.Value);
                }
            }

            Assembly[] external =
            [
                typeof(object).Assembly, typeof(Volatile).Assembly, typeof(System.Diagnostics.Metrics.Meter).Assembly,
                typeof(System.Collections.Concurrent.ConcurrentStack<>).Assembly, typeof(ReaderWriterLockSlim).Assembly,
                typeof(Microsoft.Coyote.Specifications.Specification).Assembly, typeof(Microsoft.Coyote.SystematicTesting.TestingEngine).Assembly,
            ];
            foreach (Type t in external.SelectMany(a => a.GetExportedTypes()))
            {
                _external.TryAdd(t.Name.Split('`')[0], t);
            }
        }

        public bool Resolves(string reference)
        {
            string[] parts = GenericArguments().Replace(reference, string.Empty).Split('.');
            if (parts.Length == 1)
            {
                return _typeFiles.ContainsKey(parts[0]) || _words.Contains(parts[0]) || _external.ContainsKey(parts[0]);
            }

            // Type.Member (or Namespace.Type...: the last two parts decide).
            string type = parts[^2];
            string member = parts[^1];
            if (_typeFiles.TryGetValue(type, out List<string>? files))
            {
                // Declared in the type's files (a call through another object, x.Member(...), is not a
                // declaration), or an extension method on the type.
                string name = Regex.Escape(member);
                return files.Any(f => Regex.IsMatch(_code[f], $@"(?<![.\w]){name}\b(?=\s*(?:<[^>]*>)?\s*(?:\(|\{{|=>|;|=(?!=)|,|\)))"))
                    || _code.Values.Any(c => Regex.IsMatch(c, $@"\b{name}\s*(?:<[^>]*>)?\s*\(\s*this\s+{Regex.Escape(type)}\b"));
            }

            if (_external.TryGetValue(type, out Type? external))
            {
                return external.GetMember(member, BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance).Length > 0;
            }

            // A namespace path (ManagerVerified.Spec, System.Threading): every part a known word or namespace.
            return parts.All(p => _words.Contains(p) || _typeFiles.ContainsKey(p));
        }

        private static string StripComments(string code) => Comment().Replace(code, string.Empty);

        [GeneratedRegex(@"\b(?:class|struct|record|enum|interface)\s+(?:struct\s+|class\s+)?(?<name>[A-Z][A-Za-z0-9_]*)")]
        private static partial Regex Declaration();

        [GeneratedRegex(@"[A-Za-z_][A-Za-z0-9_]*")]
        private static partial Regex Word();

        // Comments and string literals: neither declares anything.
        [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@""(?:[^""]|"""")*""|""(?:\\.|[^""\\\n])*""", RegexOptions.Singleline)]
        private static partial Regex Comment();

        [GeneratedRegex(@"<[^>]*>")]
        private static partial Regex GenericArguments();
    }
}
