using ManagerVerified.Spec.Model;
using ManagerVerified.Harness.Checking;
using ManagerVerified.Spec.Checking;
using ManagerVerified.Spec.Linearizability;
using ManagerVerified.Harness.Scenarios;

namespace ManagerVerified.Tests.Unit;

/// <summary>The checker on hand-written histories (known linearizable and known not), and on real
/// threads running the scenario catalog with bounded histories.</summary>
public sealed class LinearizabilityCheckerTests
{
    private const uint Id = 1;
    private static readonly MessageToken T0 = new(0, 1, Id);
    private static readonly MessageToken T1 = new(1, 1, Id);

    /// <summary>Builds steps with explicit [invoke, response] times.</summary>
    private sealed class Builder
    {
        private readonly List<Step> _steps = [];

        public Builder Add(int task, StepKind kind, long invoke, long response, MessageToken token = default, MemoryError error = MemoryError.None, long owner = 0, long version = 0, bool tryOnly = false)
        {
            _steps.Add(new Step(_steps.Count, task, kind, tryOnly, token, owner, version, error, invoke, response));
            return this;
        }

        public Builder Free(int task, long invoke, long response, MessageToken token, MemoryError error = MemoryError.None, bool tryOnly = false) =>
            Add(task, StepKind.FreeAcquire, invoke, response, token, error, tryOnly: tryOnly)
                .Add(task, StepKind.FreeInvalidate, invoke, response, token, error, tryOnly: tryOnly)
                .Add(task, StepKind.FreeRecycle, invoke, response, token, error, tryOnly: tryOnly);

        public bool Linearizable(int capacity) => LinearizabilityChecker.Check(new History(_steps), new SpecState(capacity, Id)).Linearizable;

        public History History => new(_steps);
    }

    [Fact]
    public void Sequential_StoreReadWriteFree_Linearizable() =>
        Assert.True(new Builder()
            .Add(1, StepKind.Store, 1, 2, T0, owner: 7)
            .Add(1, StepKind.AcquireRead, 3, 4, T0, owner: 7)
            .Add(1, StepKind.ReleaseRead, 5, 6, T0)
            .Add(1, StepKind.AcquireWrite, 7, 8, T0, owner: 7)
            .Add(1, StepKind.ReleaseWrite, 9, 10, T0, version: 1)
            .Add(1, StepKind.AcquireRead, 11, 12, T0, owner: 7, version: 1)
            .Add(1, StepKind.ReleaseRead, 13, 14, T0)
            .Free(1, 15, 16, T0)
            .Add(1, StepKind.AcquireRead, 17, 18, T0, MemoryError.StaleToken)
            .Add(1, StepKind.Store, 19, 20, new MessageToken(0, 2, Id), owner: 8)
            .Linearizable(1));

    [Fact]
    public void ConcurrentStores_EitherOrder_Linearizable() =>
        // Overlapping stores: task 2 got slot 0 and task 1 slot 1, which only the order "2 before 1" explains.
        Assert.True(new Builder()
            .Add(1, StepKind.Store, 1, 4, T1, owner: 1)
            .Add(2, StepKind.Store, 2, 3, T0, owner: 2)
            .Linearizable(2));

    [Fact]
    public void TryWrite_AlreadyBorrowed_DuringOverlappingRead_Linearizable() =>
        Assert.True(new Builder()
            .Add(1, StepKind.Store, 1, 2, T0, owner: 1)
            .Add(2, StepKind.AcquireRead, 3, 4, T0, owner: 1)
            .Add(3, StepKind.AcquireWrite, 5, 6, T0, MemoryError.AlreadyBorrowed, tryOnly: true)
            .Add(2, StepKind.ReleaseRead, 7, 8, T0)
            .Linearizable(1));

    [Fact]
    public void ReadDuringPendingFree_StaleOrOk_BothLinearizable()
    {
        Assert.True(new Builder()
            .Add(1, StepKind.Store, 1, 2, T0, owner: 1)
            .Free(1, 3, 8, T0)
            .Add(2, StepKind.AcquireRead, 4, 5, T0, MemoryError.StaleToken)
            .Linearizable(1));
        Assert.True(new Builder()
            .Add(1, StepKind.Store, 1, 2, T0, owner: 1)
            .Free(1, 3, 8, T0)
            .Add(2, StepKind.AcquireRead, 4, 5, T0, owner: 1)
            .Add(2, StepKind.ReleaseRead, 6, 7, T0)
            .Linearizable(1));
    }

    [Fact]
    public void Read_ReturnsValueNeverWritten_NotLinearizable() =>
        Assert.False(new Builder()
            .Add(1, StepKind.Store, 1, 2, T0, owner: 1)
            .Add(2, StepKind.AcquireRead, 3, 4, T0, owner: 1, version: 5)
            .Linearizable(1));

    [Fact]
    public void TwoStores_SameLiveSlot_NotLinearizable() =>
        Assert.False(new Builder()
            .Add(1, StepKind.Store, 1, 3, T0, owner: 1)
            .Add(2, StepKind.Store, 2, 4, T0, owner: 2)
            .Linearizable(2));

    [Fact]
    public void ReadSucceeds_AfterCompletedFree_NotLinearizable() =>
        Assert.False(new Builder()
            .Add(1, StepKind.Store, 1, 2, T0, owner: 1)
            .Free(1, 3, 4, T0)
            .Add(2, StepKind.AcquireRead, 5, 6, T0, owner: 1)
            .Linearizable(1));

    [Fact]
    public void NoFreeSlots_WhileSlotFree_NotLinearizable() =>
        Assert.False(new Builder()
            .Add(1, StepKind.Store, 1, 2, default, MemoryError.NoFreeSlots)
            .Linearizable(1));

    [Fact]
    public void BlockingWrite_OverlappingWholeReadBorrow_NotLinearizable() =>
        // A blocking write took the lock while a read borrow was held from before its call to after its return.
        Assert.False(new Builder()
            .Add(1, StepKind.Store, 1, 2, T0, owner: 1)
            .Add(2, StepKind.AcquireRead, 3, 4, T0, owner: 1)
            .Add(3, StepKind.AcquireWrite, 5, 6, T0, owner: 1)
            .Add(2, StepKind.ReleaseRead, 7, 8, T0)
            .Linearizable(1));

    [Fact]
    public void Recorder_Full_CutsBeforeTheFirstDroppedCall_SoNoHoleReachesTheChecker()
    {
        // Capacity 3: store, read (still running), free... the free is dropped. Without the cut, the
        // read's later StaleToken result would look unexplainable (its Free is missing).
        var recorder = new HistoryRecorder(capacity: 3);
        int store = recorder.Begin(StepKind.Store, false, default, owner: 1);
        recorder.End(store, MemoryError.None, T0);
        int read = recorder.Begin(StepKind.AcquireRead, false, T0);
        int acquire = recorder.Begin(StepKind.FreeAcquire, false, T0);
        int dropped = recorder.Begin(StepKind.FreeInvalidate, false, T0);
        recorder.End(acquire, MemoryError.None);
        recorder.End(read, MemoryError.StaleToken);

        Assert.Equal(-1, dropped);
        Assert.Equal(1, recorder.Dropped);
        History history = recorder.Snapshot();
        Assert.Equal(3, history.Steps.Count);
        Assert.All(history.Steps.Skip(1), s => Assert.False(s.Completed)); // returned after the cut: pending
        Assert.True(LinearizabilityChecker.Check(history, new SpecState(1, Id)).Linearizable);
    }

    [Fact]
    public void MinimalViolation_IsAPrefixEndingAtTheFirstUnexplainableReturn()
    {
        var b = new Builder()
            .Add(1, StepKind.Store, 1, 2, T0, owner: 1)
            .Free(1, 3, 4, T0)
            .Add(2, StepKind.AcquireRead, 5, 6, T0, owner: 1)
            .Add(2, StepKind.ReleaseRead, 7, 8, T0)
            .Add(1, StepKind.Store, 9, 10, new MessageToken(0, 2, Id), owner: 2);
        History? minimal = LinearizabilityChecker.MinimalViolation(b.History, new SpecState(1, Id));
        Assert.NotNull(minimal);
        Assert.Equal(5, minimal.Steps.Count); // store, the free's three steps, the read
        Assert.Contains("AcquireRead", minimal.Render(), StringComparison.Ordinal);
    }

    public static TheoryData<string> ScenarioNames() => [.. ScenarioCatalog.All.Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public async Task RealThreads_ScenarioHistories_Linearizable(string name)
    {
        Scenario scenario = ScenarioCatalog.Get(name);
        var sink = new RecordingViolationSink();
        for (int i = 0; i < 150; i++)
        {
            await scenario.RunAsync(scenario.Defaults with { TagBits = null, Seed = i }, ThreadScheduler.Instance, sink);
        }

        Assert.Empty(sink.Violations);
    }

    [Theory]
    [InlineData("mixed", 4, 4, 40)]
    [InlineData("borrows-vs-free", 2, 4, 30)]
    [InlineData("churn", 4, 4, 30)]
    public async Task RealThreadStress_BoundedHistories_Linearizable(string name, int capacity, int tasks, int operations)
    {
        // Stress size on real threads: every run's whole history (a few hundred steps, bounded by the
        // recorder) is checked; the search stays small because memoization collapses equal states.
        Scenario scenario = ScenarioCatalog.Get(name);
        var sink = new RecordingViolationSink();
        for (int i = 0; i < 25; i++)
        {
            await scenario.RunAsync(new ScenarioParameters(capacity, tasks, operations, Seed: i), ThreadScheduler.Instance, sink);
        }

        Assert.Empty(sink.Violations);
    }
}
