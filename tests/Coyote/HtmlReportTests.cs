using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
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

        // Every step drawn once, in order, in its task's lane.
        XElement[] cells = [.. doc.Descendants(X + "td").Where(td => td.Attribute("data-step") is not null)];
        Assert.Equal(Enumerable.Range(0, steps), cells.Select(c => int.Parse(c.Attribute("data-step")!.Value)));
        foreach (JsonElement step in root.GetProperty("Steps").EnumerateArray())
        {
            XElement cell = cells[step.GetProperty("Index").GetInt32()];
            Assert.Equal(step.GetProperty("Task").GetInt32().ToString(), cell.Attribute("data-task")!.Value);
            Assert.Contains(step.GetProperty("Location").GetString()!, cell.Value, StringComparison.Ordinal);
            Assert.Contains(step.GetProperty("Operation").GetString()!, cell.Value, StringComparison.Ordinal);
        }

        // The failing step highlighted, the monitor's message shown; the preemptions marked.
        XElement failed = Assert.Single(doc.Descendants(X + "tr"), tr => Classes(tr).Contains("failed"));
        Assert.Equal(failedAt.ToString(), failed.Descendants(X + "td").Single(td => td.Attribute("data-step") is not null).Attribute("data-step")!.Value);
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

    private static XDocument Parse(string html)
    {
        using var reader = XmlReader.Create(new StringReader(html), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        return XDocument.Load(reader);
    }

    private static string[] Classes(XElement e) => (e.Attribute("class")?.Value ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
