namespace ManagerVerified.Spec.Checking;

/// <summary>A property the harness checks, or a failure the exploration engine itself reports. Reports,
/// replays and tests compare these values, never the text a report prints.</summary>
public enum SpecProperty
{
    /// <summary>I1: no slot is handed to two stores at once.</summary>
    NoDoubleAllocation,

    /// <summary>I2/I3: a pop never installs a stale link (ABA), tag wraparound included.</summary>
    AbaSafety,

    /// <summary>I4: the available count stays within [0, Capacity] and is exact at quiescence.</summary>
    AvailableCount,

    /// <summary>I5: readers and writers of one slot exclude each other; no torn header copy.</summary>
    ReadWriteExclusion,

    /// <summary>I6: a stale token never reaches a newer message.</summary>
    StaleToken,

    /// <summary>I7: NoFreeSlots only when every slot is taken (the exhaustion scenario's check).</summary>
    StoreCompleteness,

    /// <summary>I8: every history has a sequential explanation.</summary>
    Linearizability,

    /// <summary>I9: plain accesses are ordered by happens-before.</summary>
    DataRace,

    /// <summary>The engine found every task blocked (a lost wake-up or a leaked lock).</summary>
    Deadlock,

    /// <summary>An exception escaped a task.</summary>
    UnhandledException,

    /// <summary>An iteration ran past the scheduling-step bound (a livelock, or a bound too small).</summary>
    StepBound,

    /// <summary>An engine report the harness could not classify.</summary>
    Other,
}

/// <summary>Names of <see cref="SpecProperty"/> values as reports print them.</summary>
public static class PropertyNames
{
    /// <summary>The title a report prints for <paramref name="property"/>.</summary>
    public static string Title(this SpecProperty property) => property switch
    {
        SpecProperty.NoDoubleAllocation => "No double allocation",
        SpecProperty.AbaSafety => "ABA safety",
        SpecProperty.AvailableCount => "Available-count consistency",
        SpecProperty.ReadWriteExclusion => "Read/write exclusion",
        SpecProperty.StaleToken => "Stale-token safety",
        SpecProperty.StoreCompleteness => "Store completeness",
        SpecProperty.Linearizability => "Linearizability",
        SpecProperty.DataRace => "Data-race freedom",
        SpecProperty.Deadlock => "Deadlock",
        SpecProperty.UnhandledException => "Unhandled exception",
        SpecProperty.StepBound => "Step bound",
        SpecProperty.Other => "Other",
        _ => throw new ArgumentOutOfRangeException(nameof(property), property, null),
    };
}

/// <summary>One violated property and what broke it.</summary>
/// <param name="Property">The property.</param>
/// <param name="Details">The offending values, operations and tasks.</param>
public sealed record Violation(SpecProperty Property, string Details)
{
    /// <summary>Classifies a report that the exploration engine wrote itself (not through a sink): its own
    /// deadlock, exception and step-bound reports. The only place that reads a report's text.</summary>
    public static Violation FromEngineReport(string report)
    {
        ArgumentNullException.ThrowIfNull(report);
        // Whole words of the report's first line: a stack trace below it can name anything
        // (CompareExchange contains "hang").
        string first = report.Split('\n')[0];
        SpecProperty property =
            HasWord(first, "deadlock") ? SpecProperty.Deadlock
            : HasWord(first, "exception") ? SpecProperty.UnhandledException
            : HasWord(first, "hang") || HasWord(first, "hanging") ? SpecProperty.Deadlock
            : HasWord(first, "steps") ? SpecProperty.StepBound
            : SpecProperty.Other;
        return new Violation(property, report);
    }

    private static bool HasWord(string text, string word) =>
        System.Text.RegularExpressions.Regex.IsMatch(text, $@"\b{word}\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>The report line: "Title violated: details".</summary>
    public override string ToString() => $"{Property.Title()} violated: {Details}";
}
