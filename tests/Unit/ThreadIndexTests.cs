using ManagerVerified.Seam;

namespace ManagerVerified.Tests.Unit;

/// <summary>
/// The production shard hint (issue 13): each live thread has its own small number, the lowest free when it
/// first asks, kept while it lives and free again after it ends. Not parallel with other tests: the index a
/// test thread gives back must not be taken by another test's thread before the test looks.
/// </summary>
[Collection(ThreadIndexCollection.Name)]
public sealed class ThreadIndexTests
{
    [Fact]
    public void Registry_HandsOutTheLowestFreeIndex()
    {
        var registry = new IndexRegistry();
        Assert.Equal(0, registry.Take());
        Assert.Equal(1, registry.Take());
        Assert.Equal(2, registry.Take());
        registry.Return(2);
        registry.Return(0);
        Assert.True(registry.IsFree(0));
        Assert.False(registry.IsFree(1));
        Assert.Equal(0, registry.Take());
        Assert.Equal(2, registry.Take());
        Assert.Equal(3, registry.Take());
    }

    [Fact]
    public void Current_LiveThreads_EachItsOwnIndex_KeptWhileAlive()
    {
        const int Threads = 8;
        var first = new int[Threads];
        var again = new int[Threads];
        using var together = new Barrier(Threads);
        Thread[] threads = [.. Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            first[t] = ThreadIndex.Current;
            together.SignalAndWait(); // every thread holds its index now
            again[t] = ThreadIndex.Current;
        }))];
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.Equal(first, again);
        Assert.Equal(Threads, first.Distinct().Count());
    }

    [Fact]
    public void Current_ThreadEnded_ItsIndexIsFreeAgain()
    {
        int index = -1;
        var thread = new Thread(() => index = ThreadIndex.Current);
        thread.Start();
        thread.Join();
        Assert.False(index < 0);

        // The ended thread's lease is unreachable now; its finalizer gives the index back.
        for (int attempt = 0; attempt < 20 && !ThreadIndex.Shared.IsFree(index); attempt++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.True(ThreadIndex.Shared.IsFree(index), $"index {index} was not given back after its thread ended");
    }
}

/// <summary>Runs <see cref="ThreadIndexTests"/> alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadIndexCollection
{
    internal const string Name = "thread index";
}
