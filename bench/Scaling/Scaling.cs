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

    private static void StoreFree(object state, int id, StopFlag stop, long[] counts)
    {
        var manager = (ConcurrentMemoryManager<long>)state;
        var message = new Message<long>(default, id);
        long done = 0;
        while (!Volatile.Read(ref stop.Stopped))
        {
            for (int i = 0; i < Batch; i++)
            {
                if (manager.TryStore(message, out MessageToken token, out _))
                {
                    manager.TryFree(token, out _);
                }
            }

            done += Batch;
        }

        counts[id * 16] = done;
    }

    private static void PoolGetReturn(object state, int id, StopFlag stop, long[] counts)
    {
        var pool = (DefaultObjectPool<object>)state;
        long done = 0;
        while (!Volatile.Read(ref stop.Stopped))
        {
            for (int i = 0; i < Batch; i++)
            {
                pool.Return(pool.Get());
            }

            done += Batch;
        }

        counts[id * 16] = done;
    }

    private static void StackPopPush(object state, int id, StopFlag stop, long[] counts)
    {
        var stack = (ConcurrentStack<int>)state;
        long done = 0;
        while (!Volatile.Read(ref stop.Stopped))
        {
            for (int i = 0; i < Batch; i++)
            {
                if (stack.TryPop(out int item))
                {
                    stack.Push(item);
                }
            }

            done += Batch;
        }

        counts[id * 16] = done;
    }

    private static void LockPopPush(object state, int id, StopFlag stop, long[] counts)
    {
        var stack = (Stack<int>)state;
        long done = 0;
        while (!Volatile.Read(ref stop.Stopped))
        {
            for (int i = 0; i < Batch; i++)
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
            }

            done += Batch;
        }

        counts[id * 16] = done;
    }

    private static void ReadOneSlot(object state, int id, StopFlag stop, long[] counts) => ReadLoop((StoredMessages)state, 0, stop, counts, id);

    private static Action<object, int, StopFlag, long[]> ReadOwnSlot(int spacing) =>
        (state, id, stop, counts) => ReadLoop((StoredMessages)state, id * spacing, stop, counts, id);

    private static void ReadLoop(StoredMessages stored, int slot, StopFlag stop, long[] counts, int id)
    {
        ConcurrentMemoryManager<long> manager = stored.Manager;
        MessageToken token = stored.Tokens[slot];
        long done = 0;
        long sum = 0;
        while (!Volatile.Read(ref stop.Stopped))
        {
            for (int i = 0; i < Batch; i++)
            {
                if (manager.TryRead(token, out ReadGuard<long> guard, out _))
                {
                    sum += guard.Value.Payload;
                    guard.Dispose();
                }
            }

            done += Batch;
        }

        counts[id * 16] = done;
        GC.KeepAlive(sum);
    }

    private static void RwlsRead(object state, int id, StopFlag stop, long[] counts)
    {
        var rwls = (ReaderWriterLockSlim)state;
        long done = 0;
        while (!Volatile.Read(ref stop.Stopped))
        {
            for (int i = 0; i < Batch; i++)
            {
                rwls.EnterReadLock();
                rwls.ExitReadLock();
            }

            done += Batch;
        }

        counts[id * 16] = done;
    }

    private static void CopyHeaderOneSlot(object state, int id, StopFlag stop, long[] counts)
    {
        var stored = (StoredMessages)state;
        MessageToken token = stored.Tokens[0];
        long done = 0;
        ulong sum = 0;
        while (!Volatile.Read(ref stop.Stopped))
        {
            for (int i = 0; i < Batch; i++)
            {
                if (stored.Manager.TryCopyHeader(token, out MessageHeader header, out _))
                {
                    sum += header.Sequence;
                }
            }

            done += Batch;
        }

        counts[id * 16] = done;
        GC.KeepAlive(sum);
    }

#if !BASELINE
    private static void CopyMessageOneSlot(object state, int id, StopFlag stop, long[] counts)
    {
        var stored = (StoredMessages)state;
        MessageToken token = stored.Tokens[0];
        long done = 0;
        long sum = 0;
        while (!Volatile.Read(ref stop.Stopped))
        {
            for (int i = 0; i < Batch; i++)
            {
                if (stored.Manager.TryCopy(token, out Message<long> message, out _))
                {
                    sum += message.Payload;
                }
            }

            done += Batch;
        }

        counts[id * 16] = done;
        GC.KeepAlive(sum);
    }
#endif
}
