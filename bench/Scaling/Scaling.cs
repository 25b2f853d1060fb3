using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.ObjectPool;

namespace ManagerVerified.Bench;

/// <summary>
/// The scaling suite (issue 13): every workload, ours and the peers', at 1, 2, 4, ... ProcessorCount
/// threads in one process and one run, so every number is comparable with every other. Each cell is the
/// median of <see cref="ScalingOptions.Runs"/> timed runs, in million operations per second summed over
/// the threads (an operation: one acquire and its release). Threads share nothing but the instance under
/// test; each checks a stop flag every 64 operations.
/// </summary>
/// <remarks>
/// BenchmarkDotNet measures one thread well but not a thread sweep with peers in one table; this is a
/// plain timed loop, so read the ratios (taken within one run), not the absolute numbers.
/// </remarks>
internal static class Scaling
{
    internal const int Capacity = 4096;

    internal static int Run(string[] args, TextWriter output)
    {
        var options = ScalingOptions.Parse(args);
        Workload[] workloads = Workload.All().Where(w => options.Filter is null || options.Filter.Split(',').Any(f => w.Name.Contains(f, StringComparison.OrdinalIgnoreCase))).ToArray();
        var results = new Dictionary<(string, int), double>();

        output.WriteLine($"# Scaling suite: {Environment.ProcessorCount} logical cores, {RuntimeInformationText()}");
        output.WriteLine($"# median of {options.Runs} runs of {options.Duration.TotalMilliseconds:0} ms, capacity {Capacity}, Mops/s summed over threads");
        foreach (Workload workload in workloads)
        {
            foreach (int threads in options.Threads)
            {
                double mops = Median(Enumerable.Range(0, options.Runs).Select(_ => Measure(workload, threads, options.Duration)).ToArray());
                results[(workload.Name, threads)] = mops;
                output.WriteLine($"{workload.Name,-58} {threads,3} thr {mops,9:0.0} Mops/s");
            }
        }

        string table = Table(workloads, options.Threads, results);
        output.WriteLine();
        output.WriteLine(table);
        string goals = Goals(options.Threads, results);
        output.WriteLine(goals);
        if (options.MarkdownPath is not null)
        {
            File.WriteAllText(options.MarkdownPath, table + Environment.NewLine + goals);
        }

        return 0;
    }

    private static string RuntimeInformationText() =>
        $"{System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";

    /// <summary>One timed run: the threads start together, run until the stop flag, and report their counts.</summary>
    private static double Measure(Workload workload, int threads, TimeSpan duration)
    {
        object state = workload.Setup(threads);
        var stop = new StopFlag();
        var counts = new long[threads * 16]; // one cache line (and its neighbour) per thread's count
        using var ready = new Barrier(threads + 1);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                Action<object, int, StopFlag, long[]> body = workload.Body;
                ready.SignalAndWait();
                body(state, id, stop, counts);
            })
            { IsBackground = true };
            workers[t].Start();
        }

        ready.SignalAndWait();
        var clock = Stopwatch.StartNew();
        Thread.Sleep(duration);
        Volatile.Write(ref stop.Stopped, true);
        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        double seconds = clock.Elapsed.TotalSeconds;
        long total = 0;
        for (int t = 0; t < threads; t++)
        {
            total += counts[t * 16];
        }

        workload.Teardown(state);
        return total / seconds / 1e6;
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        return values[values.Length / 2];
    }

    private static string Table(Workload[] workloads, int[] threadCounts, Dictionary<(string, int), double> results)
    {
        var text = new StringBuilder();
        text.Append("| workload |");
        foreach (int t in threadCounts)
        {
            text.Append(CultureInfo.InvariantCulture, $" {t} thr |");
        }

        text.AppendLine(" max / 1 thr |");
        text.Append("|---|");
        foreach (int _ in threadCounts)
        {
            text.Append("---|");
        }

        text.AppendLine("---|");
        foreach (Workload w in workloads)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {w.Name} |");
            foreach (int t in threadCounts)
            {
                text.Append(CultureInfo.InvariantCulture, $" {results[(w.Name, t)]:0.0} |");
            }

            double scale = results[(w.Name, threadCounts[^1])] / results[(w.Name, threadCounts[0])];
            text.AppendLine(CultureInfo.InvariantCulture, $" {scale:0.0}x |");
        }

        return text.ToString();
    }

    /// <summary>Issue 13's goals, as ratios of cells of this one run.</summary>
    private static string Goals(int[] threadCounts, Dictionary<(string, int), double> r)
    {
        var text = new StringBuilder();
        int max = threadCounts[^1];
        int first = threadCounts[0];
        bool Has(string name) => r.ContainsKey((name, max)) && r.ContainsKey((name, first));
        // Issue 13 states its targets at 16 threads: below that, scaling targets shrink with the thread count
        // (8x at 16 is half of ideal, 12x three quarters) and ratios against the peers are not judged.
        double scale = Math.Min(max, 16) / 16.0;
        void Ratio(string goal, double value, double target)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {goal} | {value:0.00}x | >= {target:0.0#}x | {(value >= target ? "met" : "not met")} |");
        }

        void PeerRatio(string goal, double value, double target)
        {
            if (max >= 16)
            {
                Ratio(goal, value, target);
            }
            else
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {goal} | {value:0.00}x | >= {target:0.0#}x at 16 threads | not judged below 16 |");
            }
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"| goal (at {max} threads unless said) | measured | target | |");
        text.AppendLine("|---|---|---|---|");
        if (Has(Workload.OursStoreFree))
        {
            Ratio($"Store+Free: {max} thr / 1 thr", r[(Workload.OursStoreFree, max)] / r[(Workload.OursStoreFree, first)], 8 * scale);
            foreach (string peer in new[] { Workload.PoolPeer, Workload.StackPeer, Workload.LockPeer })
            {
                if (Has(peer))
                {
                    PeerRatio($"Store+Free / {peer}", r[(Workload.OursStoreFree, max)] / r[(peer, max)], 4);
                }
            }

            if (Has(Workload.PoolPeer))
            {
                Ratio($"Store+Free / {Workload.PoolPeer}, 1 thr", r[(Workload.OursStoreFree, first)] / r[(Workload.PoolPeer, first)], 1);
            }
        }

        foreach (string name in new[] { Workload.OwnSlotAdjacent, Workload.OwnSlotApart })
        {
            if (Has(name))
            {
                Ratio($"{name}: {max} thr / 1 thr", r[(name, max)] / r[(name, first)], 12 * scale);
            }
        }

        if (Has(Workload.HotRead) && Has(Workload.RwlsPeer))
        {
            double worst = threadCounts.Min(t => r[(Workload.HotRead, t)] / r[(Workload.RwlsPeer, t)]);
            Ratio($"hot-slot read guard / {Workload.RwlsPeer}, worst thread count", worst, 1);
        }

        foreach (string name in new[] { Workload.CopyHeader, Workload.CopyMessage })
        {
            if (Has(name))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {name}: {max} thr / 1 thr | {r[(name, max)] / r[(name, first)]:0.0}x | scales like the header copy | |");
            }
        }

        return text.ToString();
    }
}

/// <summary>Set once by the timing thread; read by the workers every 64 operations.</summary>
internal sealed class StopFlag
{
    public bool Stopped;
}

/// <summary>Command line of <c>--scaling</c>.</summary>
internal sealed record ScalingOptions(int[] Threads, int Runs, TimeSpan Duration, string? Filter, string? MarkdownPath)
{
    // [--threads 1,2,4] [--runs 3] [--ms 250] [--only <substring>[,<substring>...]] [--md <file>]
    internal static ScalingOptions Parse(string[] args)
    {
        string? Value(string name)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        int[] threads = Value("--threads") is { } list
            ? list.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
            : DefaultThreads(Environment.ProcessorCount);
        int runs = Value("--runs") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : 3;
        int ms = Value("--ms") is { } m ? int.Parse(m, CultureInfo.InvariantCulture) : 250;
        return new ScalingOptions(threads, runs, TimeSpan.FromMilliseconds(ms), Value("--only"), Value("--md"));
    }

    /// <summary>1, 2, 4, ... and ProcessorCount itself.</summary>
    internal static int[] DefaultThreads(int cores)
    {
        var counts = new List<int>();
        for (int t = 1; t < cores; t *= 2)
        {
            counts.Add(t);
        }

        counts.Add(cores);
        return [.. counts];
    }
}

/// <summary>A measured loop: its state, built per run, and its body, run by each thread.</summary>
internal sealed record Workload(string Name, Func<int, object> Setup, Action<object, int, StopFlag, long[]> Body, Action<object> Teardown)
{
    internal const string OursStoreFree = "ours TryStore+TryFree";
    internal const string OursStoreFreeOneShard = "ours TryStore+TryFree, one free-list shard";
    internal const string PoolPeer = "DefaultObjectPool Get+Return";
    internal const string StackPeer = "ConcurrentStack TryPop+Push";
    internal const string LockPeer = "lock + Stack Pop+Push";
    internal const string HotRead = "ours read guard, all threads on one slot";
    internal const string RwlsPeer = "ReaderWriterLockSlim read, one lock";
    internal const string CopyHeader = "ours TryCopyHeader, one slot";
    internal const string CopyMessage = "ours TryCopy (whole message), one slot";
    internal const string OwnSlotAdjacent = "ours read guard, each thread its own slot, adjacent";
    internal const string OwnSlotApart = "ours read guard, each thread its own slot, 8 apart";

    private const int Batch = 64;

    internal static IEnumerable<Workload> All()
    {
        yield return new Workload(OursStoreFree, _ => new ConcurrentMemoryManager<long>(Capacity), StoreFree, Dispose);
#if !BASELINE
        yield return new Workload(OursStoreFreeOneShard, _ => new ConcurrentMemoryManager<long>(Capacity, new ConcurrentMemoryManagerOptions { FreeListShards = 1 }), StoreFree, Dispose);
#endif
        yield return new Workload(PoolPeer, _ => new DefaultObjectPool<object>(new DefaultPooledObjectPolicy<object>(), Capacity), PoolGetReturn, _ => { });
        yield return new Workload(StackPeer, _ => new ConcurrentStack<int>(Enumerable.Range(0, Capacity)), StackPopPush, _ => { });
        yield return new Workload(LockPeer, _ => new Stack<int>(Enumerable.Range(0, Capacity)), LockPopPush, _ => { });
        yield return new Workload(HotRead, threads => Stored(1), ReadOneSlot, Dispose);
        yield return new Workload(RwlsPeer, _ => new ReaderWriterLockSlim(), RwlsRead, s => ((ReaderWriterLockSlim)s).Dispose());
        yield return new Workload(CopyHeader, _ => Stored(1), CopyHeaderOneSlot, Dispose);
#if !BASELINE
        yield return new Workload(CopyMessage, _ => Stored(1), CopyMessageOneSlot, Dispose);
#endif
        yield return new Workload(OwnSlotAdjacent, threads => Stored(threads), ReadOwnSlot(1), Dispose);
        yield return new Workload(OwnSlotApart, threads => Stored(threads * 8), ReadOwnSlot(8), Dispose);
    }

    private static int Capacity => Scaling.Capacity;

    private sealed record StoredMessages(ConcurrentMemoryManager<long> Manager, MessageToken[] Tokens);

    /// <summary>A manager holding <paramref name="count"/> messages stored in a row (adjacent slots).</summary>
    private static StoredMessages Stored(int count)
    {
        var manager = new ConcurrentMemoryManager<long>(Math.Max(Capacity, count));
        var tokens = new MessageToken[count];
        for (int i = 0; i < count; i++)
        {
            tokens[i] = manager.Store(new Message<long>(new MessageHeader { Sequence = (ulong)i }, i));
        }

        return new StoredMessages(manager, tokens);
    }

    private static void Dispose(object state)
    {
        if (state is StoredMessages stored)
        {
            stored.Manager.Dispose();
        }
        else
        {
            ((IDisposable)state).Dispose();
        }
    }

    /// <summary>One acquire and its release; returns something read, so the read cannot be optimized away.</summary>
    private interface IMeasuredOp
    {
        long Once(int id);
    }

    /// <summary>The one timed loop: <typeparamref name="TOp"/> in batches of 64 until the stop flag, the count
    /// written once at the end. Generic over a struct, so the JIT compiles one loop per workload with the
    /// operation inlined: no delegate call is timed.</summary>
    private static Action<object, int, StopFlag, long[]> Loop<TOp>(Func<object, int, TOp> make)
        where TOp : struct, IMeasuredOp =>
        (state, id, stop, counts) =>
        {
            TOp op = make(state, id);
            long done = 0;
            long sum = 0;
            while (!Volatile.Read(ref stop.Stopped))
            {
                for (int i = 0; i < Batch; i++)
                {
                    sum += op.Once(id);
                }

                done += Batch;
            }

            counts[id * 16] = done;
            GC.KeepAlive(sum);
        };

    private static Action<object, int, StopFlag, long[]> StoreFree => Loop((s, id) => new StoreFreeOp((ConcurrentMemoryManager<long>)s, new Message<long>(default, id)));

    private static Action<object, int, StopFlag, long[]> PoolGetReturn => Loop((s, _) => new PoolOp((DefaultObjectPool<object>)s));

    private static Action<object, int, StopFlag, long[]> StackPopPush => Loop((s, _) => new StackOp((ConcurrentStack<int>)s));

    private static Action<object, int, StopFlag, long[]> LockPopPush => Loop((s, _) => new LockOp((Stack<int>)s));

    private static Action<object, int, StopFlag, long[]> RwlsRead => Loop((s, _) => new RwlsOp((ReaderWriterLockSlim)s));

    private static Action<object, int, StopFlag, long[]> ReadOneSlot => Loop((s, _) => new ReadOp((StoredMessages)s, 0));

    private static Action<object, int, StopFlag, long[]> ReadOwnSlot(int spacing) => Loop((s, id) => new ReadOp((StoredMessages)s, id * spacing));

    private static Action<object, int, StopFlag, long[]> CopyHeaderOneSlot => Loop((s, _) => new CopyHeaderOp((StoredMessages)s));

#if !BASELINE
    private static Action<object, int, StopFlag, long[]> CopyMessageOneSlot => Loop((s, _) => new CopyMessageOp((StoredMessages)s));
#endif

    private readonly struct StoreFreeOp(ConcurrentMemoryManager<long> manager, Message<long> message) : IMeasuredOp
    {
        public long Once(int id)
        {
            if (manager.TryStore(message, out MessageToken token, out _))
            {
                manager.TryFree(token, out _);
                return 1;
            }

            return 0;
        }
    }

    private readonly struct PoolOp(DefaultObjectPool<object> pool) : IMeasuredOp
    {
        public long Once(int id)
        {
            pool.Return(pool.Get());
            return 1;
        }
    }

    private readonly struct StackOp(ConcurrentStack<int> stack) : IMeasuredOp
    {
        public long Once(int id)
        {
            if (stack.TryPop(out int item))
            {
                stack.Push(item);
            }

            return 1;
        }
    }

    private readonly struct LockOp(Stack<int> stack) : IMeasuredOp
    {
        public long Once(int id)
        {
            int item;
            lock (stack)
            {
                item = stack.Pop();
            }

            lock (stack)
            {
                stack.Push(item);
            }

            return item;
        }
    }

    private readonly struct RwlsOp(ReaderWriterLockSlim rwls) : IMeasuredOp
    {
        public long Once(int id)
        {
            rwls.EnterReadLock();
            rwls.ExitReadLock();
            return 1;
        }
    }

    private readonly struct ReadOp(StoredMessages stored, int slot) : IMeasuredOp
    {
        private readonly ConcurrentMemoryManager<long> _manager = stored.Manager;
        private readonly MessageToken _token = stored.Tokens[slot];

        public long Once(int id)
        {
            if (!_manager.TryRead(_token, out ReadGuard<long> guard, out _))
            {
                return 0;
            }

            long payload = guard.Value.Payload;
            guard.Dispose();
            return payload;
        }
    }

    private readonly struct CopyHeaderOp(StoredMessages stored) : IMeasuredOp
    {
        private readonly ConcurrentMemoryManager<long> _manager = stored.Manager;
        private readonly MessageToken _token = stored.Tokens[0];

        public long Once(int id) => _manager.TryCopyHeader(_token, out MessageHeader header, out _) ? (long)header.Sequence : 0;
    }

#if !BASELINE
    private readonly struct CopyMessageOp(StoredMessages stored) : IMeasuredOp
    {
        private readonly ConcurrentMemoryManager<long> _manager = stored.Manager;
        private readonly MessageToken _token = stored.Tokens[0];

        public long Once(int id) => _manager.TryCopy(_token, out Message<long> message, out _) ? message.Payload : 0;
    }
#endif
}
