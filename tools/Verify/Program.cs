namespace ManagerVerified.Verify;

/// <summary>Entry point: parses, runs the campaign, maps every failure to a one-line error and an exit code.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        try
        {
            return Campaign.Run(args, Console.Out, Console.Error);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            Console.Error.WriteLine($"verify: {e.Message}");
            return Campaign.ExitUsage;
        }
    }
}
