using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.ObjectPool;

namespace ManagerVerified.Bench;

/// <summary>Threads contending on one instance: each does <see cref="OpsPerThread"/> acquire+release pairs.
/// Thread count is a parameter so the same suite shows scaling on a larger machine.</summary>
[MemoryDiagnoser]
public class ContentionBenchmarks
{
    public const int OpsPerThread = 200_000;

    private ConcurrentMemoryManager<long> _manager = null!;
    private BareTaggedStack _bare = null!;
    private ConcurrentStack<int> _stack = null!;
    private DefaultObjectPool<object> _pool = null!;

    /// <summary>2 threads, and every core of a larger machine.</summary>
    public static IEnumerable<int> ThreadCounts => new[] { 2, Environment.ProcessorCount }.Distinct();

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _manager = new ConcurrentMemoryManager<long>(1024);
        _bare = new BareTaggedStack(1024);
        _stack = new ConcurrentStack<int>(Enumerable.Range(0, 1024));
        _pool = new DefaultObjectPool<object>(new DefaultPooledObjectPolicy<object>(), 1024);
    }

    private void RunThreads(Action body)
    {
        using var barrier = new Barrier(Threads);
        var threads = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            threads[t] = new Thread(() =>
            {
                barrier.SignalAndWait();
                body();
            });
            threads[t].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }
    }

    [Benchmark(Baseline = true, Description = "ConcurrentStack<int> TryPop+Push")]
    public void ConcurrentStackPopPush() => RunThreads(() =>
    {
        for (int i = 0; i < OpsPerThread; i++)
        {
            _stack.TryPop(out int v);
            _stack.Push(v);
        }
    });

    [Benchmark(Description = "DefaultObjectPool Get+Return")]
    public void ObjectPool() => RunThreads(() =>
    {
        for (int i = 0; i < OpsPerThread; i++)
        {
            _pool.Return(_pool.Get());
        }
    });

    [Benchmark(Description = "bare tagged Treiber pop+push")]
    public void BareTreiber() => RunThreads(() =>
    {
        for (int i = 0; i < OpsPerThread; i++)
        {
            _bare.TryPop(out int v);
            _bare.Push(v);
        }
    });

    [Benchmark(Description = "ours: TryStore+TryFree")]
    public void StoreFree() => RunThreads(() =>
    {
        var message = new Message<long>(default, 1);
        for (int i = 0; i < OpsPerThread; i++)
        {
            _manager.TryStore(message, out MessageToken t, out _);
            _manager.TryFree(t, out _);
        }
    });
}
