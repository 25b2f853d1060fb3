using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ManagerVerified.Harness.Checking;
using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Verify;

/// <summary>A bug's recorded run as report.html draws it (written beside its trace as .steps.json).</summary>
internal sealed record BugTimeline(string Name, string Scenario, string Configuration, string Strategy, uint SeedIndex, SpecProperty? Property, string Message, int? FailedAt, bool FailedAtEnd, bool Reproduced, IReadOnlyList<SeamStep> Steps, IReadOnlyList<int> Preemptions)
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = false, Converters = { new JsonStringEnumConverter() } };

    public static string PathFor(string tracePath) =>
        tracePath.EndsWith(".trace.json", StringComparison.Ordinal) ? tracePath[..^".trace.json".Length] + ".steps.json" : tracePath + ".steps.json";

    public static BugTimeline From(Row row, SeedRun run, StepLog log, bool reproduced) => new(
        row.Name, row.Scenario, row.Configuration, row.Strategy.ToString(), run.SeedIndex,
        log.Failure?.Property ?? run.BugProperty,
        log.Failure?.ToString() ?? run.BugReport ?? "(no report)",
        log.FailedAt,
        log.FailedAtEnd,
        reproduced,
        log.Steps,
        [.. log.Preemptions().Order()]);

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, s_json));

    public static BugTimeline? Read(string path) =>
        File.Exists(path) ? JsonSerializer.Deserialize<BugTimeline>(File.ReadAllText(path), s_json) : null;
}

/// <summary>
/// report.html: one self-contained file (inline style, no script, no link out) with the campaign table and,
/// for every bug, a timeline: one lane per task, every seam step in order (operation, access, location,
/// value), each preemption marked, and the step at which the property failed highlighted with the
/// monitor's message. Written as XHTML so that tests can parse it.
/// </summary>
internal static class HtmlReport
{
    private const string Style = """
        body { font: 13px/1.4 system-ui, sans-serif; margin: 24px; color: #1b1f24; }
        h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
        table { border-collapse: collapse; margin: 8px 0 16px; }
        th, td { border: 1px solid #d0d7de; padding: 3px 6px; vertical-align: top; text-align: left; }
        th { background: #f6f8fa; }
        td.bad { color: #b3261e; font-weight: 600; }
        table.timeline td { font: 12px/1.3 ui-monospace, monospace; min-width: 220px; }
        table.timeline td.n { min-width: 0; color: #57606a; text-align: right; }
        tr.preempt td { border-top: 3px solid #d29922; }
        tr.preempt td.n::after { content: " \21AF"; color: #d29922; }
        tr.failed td.step { background: #ffebe9; outline: 2px solid #b3261e; }
        td.empty { background: #fbfbfc; }
        tr.elided td { text-align: center; color: #57606a; }
        .op { color: #57606a; } .msg { white-space: pre-wrap; font: 12px/1.3 ui-monospace, monospace; background: #ffebe9; border: 1px solid #b3261e; padding: 8px; }
        .legend span { margin-right: 16px; }
        """;

    public static void Write(string folder, Report report, IReadOnlyList<BugTimeline> bugs) =>
        File.WriteAllText(Path.Combine(folder, "report.html"), Render(report, bugs), new UTF8Encoding(false));

    /// <summary>The timelines of every bug of <paramref name="report"/> whose .steps.json exists: in
    /// <paramref name="reportFolder"/>/traces when given (a moved report carries its own), else beside its
    /// trace as recorded.</summary>
    public static List<BugTimeline> Collect(Report report, string? reportFolder = null) =>
        [.. report.Rows.SelectMany(r => r.Runs).Where(r => r.TraceFile is not null)
            .Select(r => (reportFolder is null ? null : BugTimeline.Read(Path.Combine(reportFolder, "traces", Path.GetFileName(BugTimeline.PathFor(r.TraceFile!)))))
                ?? BugTimeline.Read(BugTimeline.PathFor(r.TraceFile!)))
            .OfType<BugTimeline>()];

    /// <summary>The most rows a timeline draws: a run that hit the step bound is cut in the middle.</summary>
    internal const int MaxDrawnSteps = 3000;

    public static string Render(Report report, IReadOnlyList<BugTimeline> bugs)
    {
        var h = new StringBuilder();
        h.AppendLine("<!DOCTYPE html>");
        h.AppendLine("<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head><meta charset=\"utf-8\" /><title>ManagerVerified campaign</title>");
        h.Append("<style>").Append(Style).AppendLine("</style></head><body>");
        h.AppendLine(CultureInfo.InvariantCulture, $"<h1>ManagerVerified campaign: {(report.ExitCode == 0 ? "OK" : $"FAILED (exit {report.ExitCode})")}</h1>");
        h.AppendLine(CultureInfo.InvariantCulture, $"<p>{report.Rows.Count} rows, {report.Rows.Sum(r => r.Iterations)} iterations, {report.Seconds:F0} s; shards {E(string.Join(", ", report.Shards))}.</p>");
        h.AppendLine("<table class=\"campaign\"><tr><th>kind</th><th>scenario / bug</th><th>configuration</th><th>strategy</th><th>seeds</th><th>iterations</th><th>bugs</th><th>detection</th><th>replayed</th><th>seconds</th></tr>");
        foreach (Row r in report.Rows)
        {
            string bad = r.Ok ? string.Empty : " class=\"bad\"";
            h.AppendLine(CultureInfo.InvariantCulture, $"<tr data-row=\"{E(r.Name)}\"><td{bad}>{E(r.Kind.ToString().ToLowerInvariant())}</td><td>{E(r.Name)}</td><td>{E(r.Configuration)}</td><td>{E(r.Strategy.ToString())}</td><td>{r.Runs.Count}</td><td>{r.Iterations}</td><td>{r.Bugs}</td><td>{E(r.Detection)}</td><td>{E(r.Replayed)}</td><td>{r.Seconds:F2}</td></tr>");
        }

        h.AppendLine("</table>");
        int found = report.Rows.Sum(r => r.Bugs);
        if (found == 0)
        {
            h.AppendLine("<p>No bug was found: no counterexample to draw.</p>");
        }
        else if (bugs.Count < found)
        {
            var drawn = bugs.Select(b => (b.Name, b.Strategy, b.SeedIndex)).ToHashSet();
            string[] missing = [.. report.Rows.SelectMany(r => r.Runs.Where(run => run.BugReport is not null && !drawn.Contains((r.Name, r.Strategy.ToString(), run.SeedIndex))).Select(run => $"{r.Name} ({r.Strategy}, seed index {run.SeedIndex})"))];
            h.AppendLine(CultureInfo.InvariantCulture, $"<p class=\"missing\">{found} bug(s) found; no timeline was recorded for: {E(string.Join("; ", missing))}.</p>");
        }

        for (int b = 0; b < bugs.Count; b++)
        {
            Timeline(h, bugs[b], b);
        }

        h.AppendLine("</body></html>");
        return h.ToString();
    }

    private static void Timeline(StringBuilder h, BugTimeline bug, int number)
    {
        int[] tasks = [.. bug.Steps.Select(s => s.Task).Distinct().Order()];
        var preempted = bug.Preemptions.ToHashSet();
        h.AppendLine(CultureInfo.InvariantCulture, $"<section class=\"bug\" id=\"bug{number}\"><h2>{E(bug.Name)} ({E(bug.Strategy)}, seed index {bug.SeedIndex}): {E(bug.Property?.Title() ?? "engine report")}</h2>");
        string where = bug.FailedAt is int f ? $"the property failed at step {f}"
            : bug.FailedAtEnd ? "found by the end-of-run check (the quiescent state or the whole history's linearizability), after every task had finished: no single step is marked"
            : "reported by the engine, not a monitor (a deadlock, a hang or an exception)";
        h.AppendLine(CultureInfo.InvariantCulture, $"<p>{E(bug.Configuration)}. {bug.Steps.Count} seam steps, {preempted.Count} preemptions; {E(where)}.</p>");
        if (!bug.Reproduced)
        {
            h.AppendLine("<p class=\"bad\">The replay recorded for this page did not reproduce the campaign's bug: the steps below are that replay's.</p>");
        }

        h.AppendLine("<p class=\"legend\"><span>one column per task (task 0: set-up and final checks)</span><span>\u21AF a preemption: the previous task still had steps to take</span><span>red: the step after which the property failed</span></p>");
        h.AppendLine(CultureInfo.InvariantCulture, $"<div class=\"msg\">{E(bug.Message)}</div>");
        h.Append("<table class=\"timeline\"><tr><th>step</th>");
        foreach (int t in tasks)
        {
            h.Append(CultureInfo.InvariantCulture, $"<th>task {t}</th>");
        }

        h.AppendLine("</tr>");
        int half = MaxDrawnSteps / 2;
        foreach (SeamStep s in bug.Steps)
        {
            if (bug.Steps.Count > MaxDrawnSteps && s.Index >= half && s.Index < bug.Steps.Count - half)
            {
                if (s.Index == half)
                {
                    h.AppendLine(CultureInfo.InvariantCulture, $"<tr class=\"elided\"><td class=\"n\">...</td><td colspan=\"{tasks.Length}\">{bug.Steps.Count - MaxDrawnSteps} steps not drawn</td></tr>");
                }

                continue;
            }

            var classes = new List<string>();
            if (preempted.Contains(s.Index))
            {
                classes.Add("preempt");
            }

            if (bug.FailedAt == s.Index)
            {
                classes.Add("failed");
            }

            string rowClass = classes.Count > 0 ? $" class=\"{string.Join(' ', classes)}\"" : string.Empty;
            h.Append(CultureInfo.InvariantCulture, $"<tr{rowClass}><td class=\"n\">{s.Index}</td>");
            foreach (int t in tasks)
            {
                if (t == s.Task)
                {
                    h.Append(CultureInfo.InvariantCulture, $"<td class=\"step\" data-step=\"{s.Index}\" data-task=\"{t}\"><span class=\"op\">{E(s.Operation)}</span><br />{E(Describe(s))}</td>");
                }
                else
                {
                    h.Append("<td class=\"empty\"></td>");
                }
            }

            h.AppendLine("</tr>");
        }

        h.AppendLine("</table></section>");
    }

    private static string Describe(SeamStep s) => s.Waits ? $"waits until {s.Location} != {Hex(s.Value)}" : s.Access switch
    {
        Spec.Races.AccessKind.AcquireLoad => $"load {s.Location} = {Hex(s.Value)}",
        Spec.Races.AccessKind.ReleaseStore => $"store {s.Location} := {Hex(s.Value)}",
        Spec.Races.AccessKind.ReadModifyWrite => $"atomic {s.Location} -> {Hex(s.Value)}",
        Spec.Races.AccessKind.FailedCompareExchange => $"CAS {s.Location} failed, saw {Hex(s.Value)}",
        Spec.Races.AccessKind.PlainWrite => $"plain write {s.Location}",
        Spec.Races.AccessKind.OptimisticRead => $"optimistic copy of {s.Location}",
        _ => $"{s.Access} {s.Location}",
    };

    private static string Hex(long value) => value is >= -9 and <= 9 ? value.ToString(CultureInfo.InvariantCulture) : "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>Escaped for XHTML, without the control characters XML does not allow.</summary>
    private static string E(string text) =>
        WebUtility.HtmlEncode(string.Concat(text.Where(c => c is '\n' or '\t' or '\r' || !char.IsControl(c))));
}
