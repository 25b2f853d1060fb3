using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using ManagerVerified.Diagnostics;
using ManagerVerified.Seam;

namespace ManagerVerified.Tests.Unit;

/// <summary>Metrics through a <see cref="MeterListener"/>, and diagnostic mode's leak and stale-use reports.</summary>
[Collection(GlobalMetricsCollection.Name)]
public sealed class DiagnosticsTests
{
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Instrument, long Value, string? Manager)> _seen = [];

        public Recorder()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ManagerMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i.Name, v, tags));
            _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i.Name, v, tags));
            _listener.Start();
        }

        private void Add(string name, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? manager = null;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == ManagerMetrics.ManagerTag)
                {
                    manager = tag.Value as string;
                }
            }

            lock (_seen)
            {
                _seen.Add((name, value, manager));
            }
        }

        /// <summary>The instrument's current total: collects every observable instrument, then sums the
        /// latest total of each manager (of <paramref name="manager"/> only, when given).</summary>
        public long Sum(string instrument, string? manager = null)
        {
            _listener.RecordObservableInstruments();
            lock (_seen)
            {
                return _seen.Where(s => s.Instrument == instrument && (manager is null || s.Manager == manager))
                    .GroupBy(s => s.Manager).Sum(g => g.Last().Value);
            }
        }

        public long Last(string instrument, string manager)
        {
            _listener.RecordObservableInstruments();
            lock (_seen)
            {
                return _seen.Last(s => s.Instrument == instrument && s.Manager == manager).Value;
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public void Metrics_CountStoresFreesAndRefusals_TaggedByName()
    {
        string name = "metrics-" + Guid.NewGuid().ToString("N");
        using var recorder = new Recorder();
        using var manager = new ConcurrentMemoryManager<int>(2, new ConcurrentMemoryManagerOptions { Name = name });
        MessageToken a = manager.Store(default);
        manager.Store(default);
        Assert.False(manager.TryStore(default, out _, out _));
        manager.Free(a);
        Assert.True(manager.TryStore(default, out _, out _));

        Assert.Equal(3, recorder.Sum("managerverified.stores", name));
        Assert.Equal(1, recorder.Sum("managerverified.frees", name));
        Assert.Equal(1, recorder.Sum("managerverified.no_free_slots", name));
        Assert.Equal(0, recorder.Last("managerverified.available", name));
        Assert.Equal(2, recorder.Last("managerverified.capacity", name));
    }

    [Fact]
    public void Metrics_ManagersSharingAName_OneTotal_ThatNeverGoesDown()
    {
        string name = "shared-" + Guid.NewGuid().ToString("N");
        using var recorder = new Recorder();
        var options = new ConcurrentMemoryManagerOptions { Name = name };
        var first = new ConcurrentMemoryManager<int>(2, options);
        using var second = new ConcurrentMemoryManager<int>(2, options);
        first.Store(default);
        second.Store(default);
        Assert.Equal(2, recorder.Sum("managerverified.stores", name));
        Assert.Equal(2, recorder.Last("managerverified.available", name)); // 1 + 1: the gauges sum per name too
        first.Dispose();
        Assert.Equal(2, recorder.Sum("managerverified.stores", name)); // a counter never goes down
        Assert.Equal(1, recorder.Last("managerverified.available", name));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Metrics_SlotWait_CountedWhenABlockingCallWaits(bool writerWaits)
    {
        // A read guard holds the slot while a blocking Write waits, or a write guard while a blocking
        // Read waits; the wait is reported before the waiter blocks, so the holder lets go only then.
        using var recorder = new Recorder();
        var manager = new ConcurrentMemoryManager<int>(1);
        MessageToken token = manager.Store(default);
        long before = recorder.Sum("managerverified.slot_lock_waits");
        ReadGuard<int> readHolder = default;
        WriteGuard<int> writeHolder = default;
        if (writerWaits)
        {
            readHolder = manager.Read(token);
        }
        else
        {
            writeHolder = manager.Write(token);
        }

        int seen = -1;
        var waiter = new Thread(() =>
        {
            if (writerWaits)
            {
                using WriteGuard<int> w = manager.Write(token);
                w.Value.Payload = 1;
                w.Commit();
            }
            else
            {
                using ReadGuard<int> r = manager.Read(token);
                seen = r.Value.Payload;
            }
        });
        waiter.Start();

        // Bounded so that a missing wait report fails the test instead of hanging it.
        bool reported = SpinWait.SpinUntil(() => recorder.Sum("managerverified.slot_lock_waits") > before, TimeSpan.FromSeconds(60));
        if (writerWaits)
        {
            readHolder.Dispose();
        }
        else
        {
            writeHolder.Commit(); // nothing written: publish the message unchanged
            writeHolder.Dispose();
        }

        waiter.Join();
        Assert.True(reported, "no slot wait was reported while the call waited");
        using ReadGuard<int> after = manager.Read(token);
        Assert.Equal(writerWaits ? 1 : 0, writerWaits ? after.Value.Payload : seen);
    }

    [Fact]
    public void Metrics_HeadCasRetry_CountedByProductionSeam()
    {
        using var recorder = new Recorder();
        long before = recorder.Sum("managerverified.head_cas_retries");
        default(ProductionSeam).BackOff(1);
        Assert.True(recorder.Sum("managerverified.head_cas_retries") > before);
    }

    [Fact]
    public void Metrics_UnnamedManager_PublishesNoGauge()
    {
        using var recorder = new Recorder();
        using var manager = new ConcurrentMemoryManager<int>(3);
        Assert.Equal(string.Empty, manager.Name);
        Assert.Throws<InvalidOperationException>(() => recorder.Last("managerverified.capacity", string.Empty));
    }

    [Fact]
    public void DiagnosticMode_Leak_ReportedWithStoreStack()
    {
        var manager = new ConcurrentMemoryManager<int>(4, new ConcurrentMemoryManagerOptions { DiagnosticMode = true });
        MessageToken kept = StoreHere(manager);
        manager.Free(manager.Store(default));
        ManagerDiagnosticEventArgs? seen = null;
        manager.Diagnostic += (_, e) => seen = e;

        MemoryLeakException leak = Assert.Throws<MemoryLeakException>(manager.CheckForLeaks);
        OutstandingToken only = Assert.Single(leak.Leaks);
        Assert.Equal(kept, only.Token);
        Assert.Contains(nameof(StoreHere), only.StoredAt, StringComparison.Ordinal);
        Assert.NotNull(seen);
        Assert.Single(seen.Leaks);
        Assert.Throws<MemoryLeakException>(manager.Dispose);
    }

    [Fact]
    public void DiagnosticMode_NoLeak_DisposeQuiet()
    {
        var manager = new ConcurrentMemoryManager<int>(2, new ConcurrentMemoryManagerOptions { DiagnosticMode = true });
        manager.Free(manager.Store(default));
        Assert.Empty(manager.GetOutstandingTokens());
        manager.Dispose();
        manager.Dispose();
    }

    [Fact]
    public void DiagnosticMode_DoubleFree_SaysWhereItWasFreed()
    {
        var manager = new ConcurrentMemoryManager<int>(2, new ConcurrentMemoryManagerOptions { DiagnosticMode = true });
        MessageToken token = manager.Store(default);
        FreeHere(manager, token);
        MemoryManagerException e = Assert.Throws<MemoryManagerException>(() => manager.Free(token));
        Assert.Equal(MemoryError.NotAllocated, e.Error);
        Assert.Contains("double free", e.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(FreeHere), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DiagnosticMode_StaleTryRead_RaisesEventWithFreeStack()
    {
        var manager = new ConcurrentMemoryManager<int>(2, new ConcurrentMemoryManagerOptions { DiagnosticMode = true });
        MessageToken token = manager.Store(default);
        FreeHere(manager, token);
        ManagerDiagnosticEventArgs? seen = null;
        manager.Diagnostic += (_, e) => seen = e;
        Assert.False(manager.TryRead(token, out _, out MemoryError error));
        Assert.Equal(MemoryError.StaleToken, error);
        Assert.NotNull(seen);
        Assert.Equal(token, seen.Token);
        Assert.Contains(nameof(FreeHere), seen.FreedAt, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutDiagnosticMode_LeakQueries_Refused() =>
        Assert.Throws<InvalidOperationException>(() => new ConcurrentMemoryManager<int>(1).GetOutstandingTokens());

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static MessageToken StoreHere(ConcurrentMemoryManager<int> manager) => manager.Store(default);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FreeHere(ConcurrentMemoryManager<int> manager, MessageToken token) => manager.Free(token);
}
