using BenchmarkDotNet.Running;
using ManagerVerified.Bench;

// dotnet run -c Release --project bench -- --filter '*'            all benchmarks
// dotnet run -c Release --project bench -- --filter '*Single*' --job short
// dotnet run -c Release --project bench -- --memory                per-slot memory, ours vs an RWLS per slot
// dotnet run -c Release --project bench -- --scaling [--threads 1,2,4] [--runs 3] [--ms 250] [--only text] [--md file]
if (args.Contains("--scaling"))
{
    return Scaling.Run(args, Console.Out);
}

if (args.Contains("--memory"))
{
    MemoryFootprint.Report(Console.Out);
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(SingleThreadBenchmarks).Assembly).Run(args);
return 0;
