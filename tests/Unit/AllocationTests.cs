namespace ManagerVerified.Tests.Unit;

/// <summary>The hot paths allocate nothing with a struct payload.</summary>
[Collection(GlobalMetricsCollection.Name)]
public sealed class AllocationTests
{
    private struct Payload
    {
        public long A;
        public long B;
    }

    [Fact]
    public void StoreReadWritePeekFree_10000Rounds_AllocateZeroBytes()
    {
        var manager = new ConcurrentMemoryManager<Payload>(16);
        var message = new Message<Payload>(new MessageHeader { Sequence = 1 }, new Payload { A = 1, B = 2 });
        Round(manager, message); // warm up: JIT, tiering

        long before = GC.GetAllocatedBytesForCurrentThread();
        long checksum = 0;
        for (int i = 0; i < 10_000; i++)
        {
            checksum += Round(manager, message);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(10_000 * 3L, checksum); // read 1 + header 1 + copied header (1 - 1) + re-read after write (2 - 1)
        Assert.Equal(16, manager.Available);
    }

    private static long Round(ConcurrentMemoryManager<Payload> manager, Message<Payload> message)
    {
        MessageToken token = manager.Store(message);
        long sum;
        using (ReadGuard<Payload> read = manager.Read(token))
        {
            sum = read.Value.Payload.A;
        }

        using (WriteGuard<Payload> write = manager.Write(token))
        {
            write.Value.Payload.A = 2;
            write.Commit();
        }

        using (HeaderGuard header = manager.PeekHeader(token))
        {
            sum += (long)header.Value.Sequence;
        }

        manager.TryCopyHeader(token, out MessageHeader copy, out _);
        sum += (long)copy.Sequence - 1;
        manager.TryRead(token, out ReadGuard<Payload> tryRead, out _);
        sum += tryRead.Value.Payload.A - 1;
        tryRead.Dispose();
        manager.TryFree(token, out _);
        return sum;
    }
}

/// <summary>Tests that listen to the process-wide meter, or that must not be observed by a listener
/// (a listening MeterListener turns the metrics on), run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalMetricsCollection
{
    public const string Name = "global metrics";
}
