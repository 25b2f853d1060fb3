using ManagerVerified.Core;
using ManagerVerified.Seam;

namespace ManagerVerified.Tests.Unit;

/// <summary>
/// The production seam's own primitives, which no checker runs (the checkers run the checked seam): each atomic
/// member is atomic, and the full-fence members keep a store before a later load of another word, on real threads.
/// Each test fails when the interlocked operation in its member is made plain (the catalog's seam mutants). The same
/// for the one process-wide counter outside the seam, the managers' identities.
/// </summary>
public sealed class ProductionSeamTests
{
    // Each thread runs a share and on until the other has run its share too, so the two overlap for a whole share
    // however they are scheduled beside other tests; 5,000,000: every run of the catalog's seam and identity mutants
    // failed (8 of 8 each, 2 cores), about 0.2 s a test.
    private const int PerThread = 5_000_000;

    private static void OnTwoThreads(Action<int> body)
    {
        using var start = new Barrier(2);
        var threads = Enumerable.Range(0, 2).Select(id => new Thread(() =>
        {
            start.SignalAndWait();
            body(id);
        })).ToArray();
        foreach (Thread t in threads)
        {
            t.Start();
        }

        foreach (Thread t in threads)
        {
            t.Join();
        }
    }

    /// <summary>Runs <paramref name="step"/> on two threads, each at least <see cref="PerThread"/> times and on until the
    /// other thread has done its share too, so the two overlap for a whole share however they are scheduled (other
    /// tests run beside these): a plain read-modify-write then loses updates. Returns how often each ran it.</summary>
    private static long[] Race(Action step)
    {
        var done = new int[2];
        var counts = new long[2];
        OnTwoThreads(id =>
        {
            long n = 0;
            while (n < PerThread || Volatile.Read(ref done[1 - id]) == 0)
            {
                step();
                if (++n == PerThread)
                {
                    Volatile.Write(ref done[id], 1);
                }
            }

            counts[id] = n;
        });
        return counts;
    }

    [Fact]
    public void CompareExchange_IsAtomic_NoTwoThreadsWinOneValue()
    {
        var seam = default(ProductionSeam);
        long counter = 0;
        long[] counts = Race(() =>
        {
            long seen = seam.Load(ref counter);
            while (seam.CompareExchange(ref counter, seen + 1, seen) is long now && now != seen)
            {
                seen = now;
            }
        });
        Assert.Equal(counts.Sum(), counter);
    }

    [Fact]
    public void Add_Long_IsAtomic()
    {
        var seam = default(ProductionSeam);
        long counter = 0;
        long[] counts = Race(() => seam.Add(ref counter, 1));
        Assert.Equal(counts.Sum(), counter);
    }

    [Fact]
    public void Add_Int_IsAtomic()
    {
        var seam = default(ProductionSeam);
        int counter = 0;
        long[] counts = Race(() => seam.Add(ref counter, 1));
        Assert.Equal(counts.Sum(), counter);
    }

    [Fact]
    public void FullFences_KeepAStoreBeforeALaterLoadOfAnotherWord()
    {
        // Store buffering: each thread CASes its own word, then loads the other's. With full fences at least one of
        // them sees the other's write; a plain store (x86 lets it sit in the store buffer) lets both see 0.
        var seam = default(ProductionSeam);
        const int Trials = 100_000;
        var words = new long[2 * 16]; // two words, a line apart
        var seen = new long[2];
        int both = 0;
        using var round = new Barrier(2, _ =>
        {
            if (seen[0] == 0 && seen[1] == 0)
            {
                both++;
            }
        });
        OnTwoThreads(id =>
        {
            for (int trial = 1; trial <= Trials; trial++)
            {
                seam.CompareExchange(ref words[id * 16], trial, trial - 1);
                seen[id] = seam.Load(ref words[(1 - id) * 16]) >= trial ? 1 : 0;
                round.SignalAndWait();
            }
        });
        Assert.Equal(0, both);
    }

    [Fact]
    public void ManagerIdentities_HandedOutConcurrently_AreAllDifferent()
    {
        var ids = new List<uint>[] { new(2 * PerThread), new(2 * PerThread) };
        int thread = 0;
        var mine = new ThreadLocal<List<uint>>(() => ids[Interlocked.Increment(ref thread) - 1]);
        Race(() => mine.Value!.Add(ManagerIdentity.Next()));
        mine.Dispose();
        uint[] all = [.. ids[0], .. ids[1]];
        Array.Sort(all);
        for (int i = 1; i < all.Length; i++)
        {
            if (all[i] == all[i - 1])
            {
                Assert.Fail($"identity {all[i]} was handed out twice");
            }
        }

        Assert.NotEqual(0u, all[0]);
        Assert.True(all[^1] < ManagerIdentity.Reserved);
    }
}
