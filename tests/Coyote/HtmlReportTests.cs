using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using ManagerVerified.Harness.Checking;
using ManagerVerified.Spec.Checking;
using ManagerVerified.Verify;

namespace ManagerVerified.Tests.Coyote;

/// <summary>report.html: a real counterexample (the correct manager with a 0-bit tag shows the ABA)
/// drawn in one self-contained file, every seam step in its task's lane, preemptions and the failing
/// step marked.</summary>
public sealed class HtmlReportTests : IDisposable
{
    private static readonly XNamespace X = "http://www.w3.org/1999/xhtml";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "mv-html-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void ReportHtml_DrawsEveryStepOfTheCounterexample_AndMarksTheFailure()
    {
        int exit = Campaign.Run(["--scenario", "churn", "--tag-bits", "0", "--correct-only", "--strategy", "pct", "--iterations", "300", "--out", _folder], new StringWriter(), new StringWriter());
        Assert.Equal(Campaign.ExitCorrectManagerBug, exit);

        string html = File.ReadAllText(Path.Combine(_folder, "report.html"));
        XDocument doc = Parse(html);
        string stepsFile = Assert.Single(Directory.GetFiles(Path.Combine(_folder, "traces"), "*.steps.json"));
        using JsonDocument timeline = JsonDocument.Parse(File.ReadAllText(stepsFile));
        JsonElement root = timeline.RootElement;
        int steps = root.GetProperty("Steps").GetArrayLength();
        int failedAt = root.GetProperty("FailedAt").GetInt32();
        int preemptions = root.GetProperty("Preemptions").GetArrayLength();
        string message = root.GetProperty("Message").GetString()!;
        Assert.True(steps > 10, $"{steps} steps");
        Assert.Contains("ABA", message, StringComparison.Ordinal);

        // Self-contained: nothing is fetched.
        Assert.DoesNotContain(doc.Descendants(), e => e.Name.LocalName is "script" or "link" or "img" or "iframe");
        Assert.DoesNotContain(doc.Descendants().Attributes(), a => a.Name.LocalName is "src" or "href");

        // The campaign table: one row per report row.
        Assert.Single(doc.Descendants(X + "tr"), tr => tr.Attribute("data-row") is not null);

        // Every step drawn once, in order, in its task's lane: the column under that task's header.
        XElement timelineTable = doc.Descendants(X + "table").Single(t => Classes(t).Contains("timeline"));
        string[] headers = [.. timelineTable.Elements(X + "tr").First().Elements(X + "th").Select(th => th.Value)];
        XElement[] stepRows = [.. timelineTable.Elements(X + "tr").Skip(1)];
        Assert.Equal(steps, stepRows.Length);
        foreach (JsonElement step in root.GetProperty("Steps").EnumerateArray())
        {
            int index = step.GetProperty("Index").GetInt32();
            XElement[] row = [.. stepRows[index].Elements(X + "td")];
            int column = Array.FindIndex(row, td => Classes(td).Contains("step"));
            Assert.Equal(index.ToString(), row[column].Attribute("data-step")!.Value);
            Assert.Equal($"task {step.GetProperty("Task").GetInt32()}", headers[column]);
            Assert.Single(row, td => Classes(td).Contains("step"));
            Assert.Contains(step.GetProperty("Location").GetString()!, row[column].Value, StringComparison.Ordinal);
            Assert.Contains(step.GetProperty("Operation").GetString()!, row[column].Value, StringComparison.Ordinal);
        }

        // The failing step highlighted, the monitor's message shown; the preemptions marked.
        XElement failed = Assert.Single(doc.Descendants(X + "tr"), tr => Classes(tr).Contains("failed"));
        XElement failedCell = failed.Descendants(X + "td").Single(td => td.Attribute("data-step") is not null);
        Assert.Equal(failedAt.ToString(), failedCell.Attribute("data-step")!.Value);
        Assert.Contains("atomic head", failedCell.Value, StringComparison.Ordinal); // the ABA pop's head CAS, where the monitor fires
        Assert.Contains(doc.Descendants(X + "div"), d => Classes(d).Contains("msg") && d.Value.Contains(message, StringComparison.Ordinal));
        Assert.True(preemptions > 0);
        Assert.Equal(preemptions, doc.Descendants(X + "tr").Count(tr => Classes(tr).Contains("preempt")));

        // A shard's report moved elsewhere (a downloaded CI artifact) still merges with its timeline.
        string moved = Path.Combine(_folder, "artifact", "shard-0");
        Directory.CreateDirectory(Path.Combine(moved, "traces"));
        File.Copy(Path.Combine(_folder, "report.json"), Path.Combine(moved, "report.json"));
        File.Move(stepsFile, Path.Combine(moved, "traces", Path.GetFileName(stepsFile)));
        string merged = Path.Combine(_folder, "merged");
        Assert.Equal(Campaign.ExitCorrectManagerBug, Campaign.Run(["--merge", Path.Combine(moved, "report.json"), "--out", merged], new StringWriter(), new StringWriter()));
        XDocument mergedDoc = Parse(File.ReadAllText(Path.Combine(merged, "report.html")));
        Assert.Equal(steps, mergedDoc.Descendants(X + "td").Count(td => td.Attribute("data-step") is not null));
    }

    [Fact]
    public void ReportHtml_CleanCampaign_SaysThereIsNothingToDraw()
    {
        int exit = Campaign.Run(["--scenario", "exhaustion", "--correct-only", "--strategy", "random", "--iterations", "5", "--out", _folder], new StringWriter(), new StringWriter());
        Assert.Equal(0, exit);
        XDocument doc = Parse(File.ReadAllText(Path.Combine(_folder, "report.html")));
        Assert.Empty(doc.Descendants(X + "section"));
        Assert.Contains("No bug was found", doc.Root!.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_EscapesEverything_AndSaysWhereAFailureCameFrom()
    {
        const string Nasty = "<script>alert('x')</script> & \"quoted\" \u0001";
        var report = new Report { Rows = [new Row { Kind = RowKind.Correct, Name = Nasty, Scenario = "s", Configuration = Nasty, Strategy = Harness.Exploration.ExplorationStrategy.Random }] };
        SeamStep[] steps = [new(0, 1, Nasty, Spec.Races.AccessKind.AcquireLoad, "word[0]", 5), new(1, 2, "Free", Spec.Races.AccessKind.AcquireLoad, "word[0]", 5, Waits: true)];
        BugTimeline engine = new("engine", "s", "c", "Random", 0, SpecProperty.Deadlock, Nasty, FailedAt: null, FailedAtEnd: false, Reproduced: false, steps, []);
        BugTimeline atEnd = new("end", "s", "c", "Random", 1, SpecProperty.Linearizability, "history", FailedAt: null, FailedAtEnd: true, Reproduced: true, steps, []);
        XDocument doc = Parse(HtmlReport.Render(report, [engine, atEnd]));

        Assert.DoesNotContain(doc.Descendants(), e => e.Name.LocalName == "script");
        Assert.Contains("<script>alert('x')</script>", doc.Root!.Value, StringComparison.Ordinal); // shown as text
        Assert.DoesNotContain(doc.Descendants(X + "tr"), tr => Classes(tr).Contains("failed")); // nothing to mark in either
        string text = doc.Root.Value;
        Assert.Contains("reported by the engine, not a monitor", text, StringComparison.Ordinal);
        Assert.Contains("did not reproduce", text, StringComparison.Ordinal);
        Assert.Contains("found by the end-of-run check", text, StringComparison.Ordinal);
        Assert.Contains("waits until word[0] != 5", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Preemptions_AreSwitchesAwayFromARunnableTask_NotFromTheSetUpOrAWaitOrAFinishedTask()
    {
        var log = new StepLog();
        var word = new Spec.Races.Location(Spec.Races.LocationKind.SlotWord, 0);
        log.Add(0, Spec.Races.AccessKind.AcquireLoad, word, 1);                // 0 set-up
        log.Add(1, Spec.Races.AccessKind.AcquireLoad, word, 1);                // 1 not a preemption: task 0 only waits
        log.Add(2, Spec.Races.AccessKind.AcquireLoad, word, 1);                // 2 preemption: task 1 has more to do
        log.Add(2, Spec.Races.AccessKind.AcquireLoad, word, 1, waits: true);   // 3 task 2 blocks
        log.Add(1, Spec.Races.AccessKind.AcquireLoad, word, 1);                // 4 not a preemption: task 2 waits
        log.Add(2, Spec.Races.AccessKind.AcquireLoad, word, 2);                // 5 preemption of task 1 (it runs again at 6)
        log.Add(1, Spec.Races.AccessKind.AcquireLoad, word, 2);                // 6 not a preemption: task 2 is finished
        log.Add(0, Spec.Races.AccessKind.AcquireLoad, word, 2);                // 7 not a preemption: task 1 is finished
        Assert.Equal(new[] { 2, 5 }, log.Preemptions().Order());
    }

    private static XDocument Parse(string html)
    {
        using var reader = XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        return XDocument.Load(reader);
    }

    private static string[] Classes(XElement e) => (e.Attribute("class")?.Value ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
