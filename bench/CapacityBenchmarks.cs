using BenchmarkDotNet.Attributes;

namespace ManagerVerified.Bench;

/// <summary>Store+Free cost against capacity: batches of 256 stores then 256 frees, so the free-list
/// and the slots it touches move through memory.</summary>
[MemoryDiagnoser]
public class CapacityBenchmarks
{
    private const int Batch = 256;
    private readonly MessageToken[] _tokens = new MessageToken[Batch];
    private ConcurrentMemoryManager<long> _manager = null!;

    [Params(1_024, 1_048_576)]
    public int Capacity { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _manager = new ConcurrentMemoryManager<long>(Capacity);

        // Spread the free-list over the whole array: store everything, free in a shuffled order.
        var all = new MessageToken[Capacity];
        for (int i = 0; i < Capacity; i++)
        {
            all[i] = _manager.Store(new Message<long>(default, i));
        }

        new Random(42).Shuffle(all);
        foreach (MessageToken t in all)
        {
            _manager.Free(t);
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void StoreThenFree256()
    {
        var message = new Message<long>(default, 1);
        for (int i = 0; i < Batch; i++)
        {
            _tokens[i] = _manager.Store(message);
        }

        for (int i = Batch - 1; i >= 0; i--)
        {
            _manager.Free(_tokens[i]);
        }
    }
}
