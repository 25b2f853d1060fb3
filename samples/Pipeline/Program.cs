using ManagerVerified.Samples.Pipeline;

PipelineResult result = await TokenPipeline.RunAsync(count: 10_000, capacity: 64);
Console.WriteLine($"produced {result.Produced}, consumed {result.Consumed}, checksum {result.Sum:F1}, at most {result.MaxInFlight} messages in flight in 64 slots");
return result.Consumed == result.Produced ? 0 : 1;
