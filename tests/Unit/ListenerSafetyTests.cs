using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ManagerVerified.Diagnostics;

namespace ManagerVerified.Tests.Unit;

/// <summary>
/// User code that listens to the manager (a <see cref="MeterListener"/>, a <see cref="ConcurrentMemoryManager{TPayload}.Diagnostic"/>
/// handler) cannot break it: every listener below throws on every call, four threads churn the
/// manager, and nothing is lost, no Try member throws, and the counts are exact.
/// </summary>
[Collection(GlobalMetricsCollection.Name)]
public sealed class ListenerSafetyTests
{
    private const int Threads = 4;
    private const int Rounds = 2_000;
    private const int Capacity = 4;

    [Fact]
    public void ThrowingListeners_FourThreads_NothingLostNoTryThrowsCountsExact()
    {
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ManagerMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => throw new InvalidOperationException("a throwing metrics listener"));
        listener.SetMeasurementEventCallback<int>((_, _, _, _) => throw new InvalidOperationException("a throwing metrics listener"));
        listener.Start();
        string name = "listener-safety-" + Guid.NewGuid().ToString("N");

        using var manager = new ConcurrentMemoryManager<long>(Capacity, new ConcurrentMemoryManagerOptions { Name = name, DiagnosticMode = true });
        int handlerCalls = 0;
        manager.Diagnostic += (_, _) =>
        {
            Interlocked.Increment(ref handlerCalls);
            throw new InvalidOperationException("a throwing diagnostic handler");
        };

        var failures = new ConcurrentQueue<Exception>();
        long stored = 0, refused = 0;
        using var barrier = new Barrier(Threads + 1);
        int running = Threads;
        var workers = Enumerable.Range(0, Threads).Select(id => new Thread(() =>
        {
            try
            {
                barrier.SignalAndWait();
                for (int round = 0; round < Rounds; round++)
                {
                    if (!manager.TryStore(TestMessages.Of(round + 1), out MessageToken token, out MemoryError error))
                    {
                        Assert.Equal(MemoryError.NoFreeSlots, error);
                        Interlocked.Increment(ref refused);
                        continue;
                    }

                    Interlocked.Increment(ref stored);
                    Assert.True(manager.TryRead(token, out ReadGuard<long> read, out _));
                    Assert.Equal(round + 1, read.Value.Payload);
                    read.Dispose();
                    manager.Free(token);

                    // Stale uses: diagnostic mode explains them through the throwing handler.
                    Assert.False(manager.TryRead(token, out _, out MemoryError stale));
                    Assert.Equal(MemoryError.StaleToken, stale);
                    Assert.False(manager.TryFree(token, out MemoryError again));
                    Assert.Equal(MemoryError.NotAllocated, again);
                    Assert.Equal(MemoryError.NotAllocated, Assert.Throws<MemoryManagerException>(() => manager.Free(token)).Error);
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        })).ToList();
        workers.ForEach(t => t.Start());
        barrier.SignalAndWait();

        // Collect while the workers run: every observable callback's listener throws on this thread.
        int collections = 0;
        while (Volatile.Read(ref running) > 0 || collections == 0)
        {
            Assert.ThrowsAny<Exception>(listener.RecordObservableInstruments); // the listener's own exceptions, on its own thread
            collections++;
        }

        workers.ForEach(t => t.Join());
        Assert.Empty(failures);
        Assert.Equal(Capacity, manager.Available);
        Assert.Empty(manager.GetOutstandingTokens());
        Assert.Equal(Threads * Rounds, stored + refused);
        Assert.Equal(3 * stored, handlerCalls);

        ManagerMetrics.NameCounts counts = ManagerMetrics.CountsFor(name);
        Assert.Equal((stored, stored, refused), (counts.Stores, counts.Frees, counts.NoFreeSlots));
    }
}
