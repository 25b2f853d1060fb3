using System.Text.Json;
using System.Text.Json.Serialization;

namespace ManagerVerified.Verify.Mutants;

/// <summary>The kind of mistake a mutant makes.</summary>
internal enum MutantKind
{
    ReleaseOrder,
    Ordering,
    PlainAccessMoved,
    MissingRecheck,
    MissingCheck,
    MissingBound,
    MissingUpdate,
    MissingRelease,
    WrongRelease,
    OffByOne,
    WrongError,
    Atomicity,
    LostWakeup,
    Liveness,
    Performance,
    SeamBypass,
}

/// <summary>One find/replace of a mutant: the <see cref="Occurrence"/>th match of <see cref="Find"/> becomes <see cref="Replace"/>.</summary>
internal sealed record MutantEdit(string Find, string Replace, int Occurrence = 1);

/// <summary>A source-level mutant of one file under src/Manager (tests/Mutants/catalog.json).</summary>
internal sealed record Mutant(string Id, string File, MutantKind Kind, string Invariant, string Description, IReadOnlyList<MutantEdit> Edits, string? Equivalent = null)
{
    /// <summary>The mutated text of <see cref="File"/>. Throws when an edit does not match where it says.</summary>
    public string Apply(string source)
    {
        string text = source.Replace("\r\n", "\n", StringComparison.Ordinal);
        foreach (MutantEdit edit in Edits)
        {
            int at = -1;
            for (int n = 0; n < edit.Occurrence; n++)
            {
                at = text.IndexOf(edit.Find, at + 1, StringComparison.Ordinal);
                if (at < 0)
                {
                    throw new InvalidOperationException($"mutant {Id}: occurrence {edit.Occurrence} of its edit is not in {File} (the source moved on; update tests/Mutants/catalog.json)");
                }
            }

            text = string.Concat(text.AsSpan(0, at), edit.Replace, text.AsSpan(at + edit.Find.Length));
        }

        return text;
    }
}

/// <summary>Reads tests/Mutants/catalog.json.</summary>
internal static class MutantCatalog
{
    public const string RelativePath = "tests/Mutants/catalog.json";

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static IReadOnlyList<Mutant> Load(string repositoryRoot)
    {
        string path = Path.Combine(repositoryRoot, RelativePath);
        return JsonSerializer.Deserialize<List<Mutant>>(File.ReadAllText(path), s_json)
            ?? throw new InvalidOperationException($"{path} is empty");
    }

    /// <summary>The folder holding ManagerVerified.sln, above <paramref name="start"/> (the runner's output or the working directory).</summary>
    public static string? FindRepositoryRoot(string start)
    {
        string? dir = Path.GetFullPath(start);
        while (dir is not null && !System.IO.File.Exists(Path.Combine(dir, "ManagerVerified.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir;
    }
}
