using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using ManagerVerified.Core;
using ManagerVerified.Verification;
using ManagerVerified.Seam;
using Microsoft.Extensions.ObjectPool;

namespace ManagerVerified.Bench;

/// <summary>One thread: our operations next to the baselines they are measured against, in one run.</summary>
[MemoryDiagnoser]
public class SingleThreadBenchmarks
{
    private readonly ConcurrentMemoryManager<Payload> _manager = new(1024);
    private readonly SlotManager<Payload, ProductionSeam> _core = VerificationManagers.Create<Payload, ProductionSeam>(1024, default);
    private readonly BareTaggedStack _bare = new(1024);
    private readonly ConcurrentStack<int> _stack = new(Enumerable.Range(0, 1024));
    private readonly DefaultObjectPool<object> _pool = new(new DefaultPooledObjectPolicy<object>(), 1024);
    private readonly ReaderWriterLockSlim _rwls = new();
    private readonly IntWordLock _intLock = new();
    private readonly Message<Payload> _message = new(new MessageHeader { Sequence = 1 }, new Payload(1, 2));
    private MessageToken _live;
    private long _a;
    private long _b;

    public readonly record struct Payload(long A, long B);

    [GlobalSetup]
    public void Setup() => _live = _manager.Store(_message);

    [Benchmark(Baseline = true, Description = "2x Interlocked.CompareExchange")]
    public long TwoCas()
    {
        long a = Interlocked.CompareExchange(ref _a, _a + 1, _a);
        return a + Interlocked.CompareExchange(ref _b, _b + 1, _b);
    }

    [Benchmark(Description = "bare tagged Treiber pop+push")]
    public int BareTreiber()
    {
        _bare.TryPop(out int i);
        _bare.Push(i);
        return i;
    }

    [Benchmark(Description = "ConcurrentStack<int> TryPop+Push")]
    public int ConcurrentStackPopPush()
    {
        _stack.TryPop(out int i);
        _stack.Push(i);
        return i;
    }

    [Benchmark(Description = "DefaultObjectPool Get+Return")]
    public object ObjectPoolGetReturn()
    {
        object o = _pool.Get();
        _pool.Return(o);
        return o;
    }

    [Benchmark(Description = "ours: TryStore+TryFree")]
    public bool StoreFree()
    {
        _manager.TryStore(_message, out MessageToken t, out _);
        return _manager.TryFree(t, out _);
    }

    [Benchmark(Description = "ours, core without the public wrapper: TryStore+TryFree")]
    public bool StoreFreeCore()
    {
        _core.Store(_message, out MessageToken t);
        return _core.Free(t, WaitLimit.None) == MemoryError.None;
    }

    [Benchmark(Description = "ReaderWriterLockSlim read enter+exit")]
    public void RwlsRead()
    {
        _rwls.EnterReadLock();
        _rwls.ExitReadLock();
    }

    [Benchmark(Description = "int-word reader lock enter+exit")]
    public void IntWordRead()
    {
        _intLock.EnterRead();
        _intLock.ExitRead();
    }

    [Benchmark(Description = "ours: read guard (TryRead+Dispose)")]
    public long ReadGuard()
    {
        _manager.TryRead(_live, out ReadGuard<Payload> g, out _);
        long a = g.Value.Payload.A;
        g.Dispose();
        return a;
    }

    [Benchmark(Description = "ours: header guard (TryPeekHeader+Dispose)")]
    public ulong HeaderGuard()
    {
        _manager.TryPeekHeader(_live, out HeaderGuard g, out _);
        ulong s = g.Value.Sequence;
        g.Dispose();
        return s;
    }

    [Benchmark(Description = "ours: TryCopyHeader (no lock, no shared write)")]
    public ulong CopyHeader()
    {
        _manager.TryCopyHeader(_live, out MessageHeader header, out _);
        return header.Sequence;
    }

    [Benchmark(Description = "ReaderWriterLockSlim write enter+exit")]
    public void RwlsWrite()
    {
        _rwls.EnterWriteLock();
        _rwls.ExitWriteLock();
    }

    [Benchmark(Description = "int-word writer lock enter+exit")]
    public void IntWordWrite()
    {
        _intLock.EnterWrite();
        _intLock.ExitWrite();
    }

    [Benchmark(Description = "ours: write guard (TryWrite+Commit+Dispose)")]
    public void WriteGuard()
    {
        _manager.TryWrite(_live, out WriteGuard<Payload> g, out _);
        g.Value.Header.Sequence++;
        g.Commit();
        g.Dispose();
    }
}
