using BenchmarkDotNet.Running;
using ManagerVerified.Bench;

// dotnet run -c Release --project bench -- --filter '*'            all benchmarks
// dotnet run -c Release --project bench -- --filter '*Single*' --job short
// dotnet run -c Release --project bench -- --memory                per-slot memory, ours vs an RWLS per slot
// dotnet run -c Release --project bench/Scaling                     the thread-scaling suite with its peers (its own program)
if (args.Contains("--memory"))
{
    MemoryFootprint.Report(Console.Out);
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(SingleThreadBenchmarks).Assembly).Run(args);
return 0;
