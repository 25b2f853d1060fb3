namespace ManagerVerified.Tests.Unit;

/// <summary>The README's usage example compiles (it is this file's region) and stays identical to the README.</summary>
public sealed class ReadmeExampleTests
{
    [Fact]
    public void ReadmeExample_Runs()
    {
        var output = new StringWriter();
        Example(output);
        Assert.Equal("21.5\n", output.ToString().Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Fact]
    public void ReadmeExample_MatchesThisFile()
    {
        string root = DotnetCli.RepositoryRoot();
        string[] readme = Region(File.ReadAllLines(Path.Combine(root, "README.md")), "<!-- example:start -->", "<!-- example:end -->")
            .Where(l => !l.StartsWith("```", StringComparison.Ordinal)).ToArray();
        string[] code = Region(File.ReadAllLines(Path.Combine(root, "tests", "Unit", "ReadmeExampleTests.cs")), "// example:start", "// example:end");
        Assert.Equal(Normalize(code), Normalize(readme));
    }

    private static void Example(TextWriter console)
    {
        // example:start
        var manager = new ConcurrentMemoryManager<SensorReading>(capacity: 1024);

        MessageToken token = manager.Store(new Message<SensorReading>(
            new MessageHeader { Sequence = 1, QoS = QoSClass.LatencySensitive },
            new SensorReading(21.5)));

        using (ReadGuard<SensorReading> read = manager.Read(token))
        {
            console.WriteLine(read.Value.Payload.Celsius);
        }

        using (WriteGuard<SensorReading> write = manager.Write(token))
        {
            write.Value.Payload = new SensorReading(22.0);
            write.Commit(); // without it, disposing poisons the message (an exception left the scope)
        }

        if (!manager.TryFree(token, out MemoryError error))
        {
            console.WriteLine($"free failed: {error}");
        }
        // example:end
    }

    internal readonly record struct SensorReading(double Celsius);

    private static string[] Region(string[] lines, string start, string end)
    {
        int from = Array.FindIndex(lines, l => l.Trim() == start);
        int to = Array.FindIndex(lines, l => l.Trim() == end);
        Assert.True(from >= 0 && to > from, $"region {start} .. {end} not found");
        return lines[(from + 1)..to];
    }

    private static string[] Normalize(string[] lines) =>
        lines.Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
}
