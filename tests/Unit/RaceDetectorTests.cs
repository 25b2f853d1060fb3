using ManagerVerified.Harness.Checking;
using ManagerVerified.Spec.Checking;
using ManagerVerified.Spec.Races;

namespace ManagerVerified.Tests.Unit;

/// <summary>
/// The race detector on small hand-written programs with known answers, each interleaving written out
/// step by step (task number, access): message passing with release/acquire and with a plain flag, a
/// seqlock with and without its read barrier and its re-check, fork/join, and read-modify-write chains.
/// </summary>
public sealed class RaceDetectorTests
{
    private static readonly Location Data = new(LocationKind.Variable, 0);
    private static readonly Location Flag = new(LocationKind.Variable, 1);
    private static readonly Location Sequence = new(LocationKind.Variable, 2);

    [Fact]
    public void MessagePassing_ReleaseAcquire_NoRace()
    {
        (RaceDetector d, RecordingViolationSink sink) = Program();
        d.Access(1, AccessKind.PlainWrite, Data);
        d.Access(1, AccessKind.ReleaseStore, Flag);
        d.Access(2, AccessKind.AcquireLoad, Flag); // saw the flag
        d.Access(2, AccessKind.PlainRead, Data);
        Assert.Empty(sink.Violations);
    }

    [Fact]
    public void MessagePassing_PlainFlag_ReportsBothRaces()
    {
        (RaceDetector d, RecordingViolationSink sink) = Program();
        d.Access(1, AccessKind.PlainWrite, Data);
        d.Access(1, AccessKind.PlainWrite, Flag);
        d.Access(2, AccessKind.PlainRead, Flag);
        d.Access(2, AccessKind.PlainRead, Data);
        Assert.Equal(2, sink.Violations.Count);
        Assert.All(sink.Violations, v => Assert.Equal((SpecProperty.DataRace, true), (v.Property, v.Details.StartsWith("task 2", StringComparison.Ordinal))));
        Assert.Contains(sink.Violations, v => v.Details.Contains("plain read of v0", StringComparison.Ordinal) && v.Details.Contains("task 1 plain write of v0", StringComparison.Ordinal));
    }

    [Fact]
    public void ReleaseStoreBeforeTheWrite_IsARace()
    {
        // Publishing before writing (the store-publish-before-write mutant's shape).
        (RaceDetector d, RecordingViolationSink sink) = Program();
        d.Access(1, AccessKind.ReleaseStore, Flag);
        d.Access(1, AccessKind.PlainWrite, Data);
        d.Access(2, AccessKind.AcquireLoad, Flag);
        d.Access(2, AccessKind.PlainRead, Data);
        Assert.Single(sink.Violations);
    }

    [Fact]
    public void WriteAfterAnUnsynchronizedRead_IsARace_EvenIfTheReadCameFirst()
    {
        (RaceDetector d, RecordingViolationSink sink) = Program();
        d.Access(2, AccessKind.PlainRead, Data);
        d.Access(1, AccessKind.PlainWrite, Data);
        Assert.Contains(sink.Violations, v => v.Details.Contains("task 1 plain write of v0 is not ordered by happens-before with task 2 plain read of v0", StringComparison.Ordinal));
    }

    [Fact]
    public void ReadModifyWriteChain_CarriesEveryEarlierRelease()
    {
        // Task 1 writes and releases by an RMW; task 2's RMW on the same word continues the release
        // sequence; task 3 acquires from task 2 and still sees task 1's write.
        (RaceDetector d, RecordingViolationSink sink) = Program();
        d.Access(1, AccessKind.PlainWrite, Data);
        d.Access(1, AccessKind.ReadModifyWrite, Flag);
        d.Access(2, AccessKind.ReadModifyWrite, Flag);
        d.Access(3, AccessKind.AcquireLoad, Flag);
        d.Access(3, AccessKind.PlainWrite, Data);
        Assert.Empty(sink.Violations);
    }

    [Fact]
    public void ForkAndJoin_OrderSetUpAndTasks()
    {
        (RaceDetector d, RecordingViolationSink sink) = Program();
        d.Access(0, AccessKind.PlainWrite, Data);
        d.Fork(0, 1);
        d.Access(1, AccessKind.PlainWrite, Data);
        d.Join(0, 1);
        d.Access(0, AccessKind.PlainRead, Data);
        Assert.Empty(sink.Violations);
    }

    [Fact]
    public void Seqlock_RacyCopyRejected_NoViolation()
    {
        // The writer is inside when the reader copies; the re-check sees it and the copy is discarded.
        (RaceDetector d, RecordingViolationSink sink) = Program();
        d.Access(2, AccessKind.AcquireLoad, Sequence);
        d.Access(1, AccessKind.ReadModifyWrite, Flag); // writer enters
        d.Access(1, AccessKind.PlainWrite, Data);
        d.Access(2, AccessKind.OptimisticRead, Data);   // torn
        d.ReadBarrier(2);
        d.Access(2, AccessKind.AcquireLoad, Flag);      // sees the writer: not accepted
        Assert.Empty(sink.Violations);
    }

    [Fact]
    public void Seqlock_CopyAfterTheWritersRelease_Accepted_NoViolation()
    {
        (RaceDetector d, RecordingViolationSink sink) = Program();
        d.Access(1, AccessKind.PlainWrite, Data);
        d.Access(1, AccessKind.ReleaseStore, Sequence);
        d.Access(2, AccessKind.AcquireLoad, Sequence);
        d.Access(2, AccessKind.OptimisticRead, Data);
        d.ReadBarrier(2);
        d.Access(2, AccessKind.AcquireLoad, Sequence);
        d.Accepted(2, Data);
        Assert.Empty(sink.Violations);
    }

    [Fact]
    public void Seqlock_RacyCopyAccepted_IsReported()
    {
        // No re-check (or one that missed the write): the torn copy is used.
        (RaceDetector d, RecordingViolationSink sink) = Program();
        d.Access(2, AccessKind.AcquireLoad, Sequence);
        d.Access(1, AccessKind.PlainWrite, Data);
        d.Access(2, AccessKind.OptimisticRead, Data);
        d.ReadBarrier(2);
        d.Access(2, AccessKind.AcquireLoad, Sequence);
        d.Accepted(2, Data);
        string v = Assert.Single(sink.Violations).Details;
        Assert.Contains("accepted an optimistic copy of v0 that raced with task 1 plain write of v0", v, StringComparison.Ordinal);
    }

    [Fact]
    public void Seqlock_WithoutReadBarrier_IsReported()
    {
        (RaceDetector d, RecordingViolationSink sink) = Program();
        d.Access(1, AccessKind.PlainWrite, Data);
        d.Access(1, AccessKind.ReleaseStore, Sequence);
        d.Access(2, AccessKind.AcquireLoad, Sequence);
        d.Access(2, AccessKind.OptimisticRead, Data);
        d.Access(2, AccessKind.AcquireLoad, Sequence); // the re-check, not ordered after the copy
        d.Accepted(2, Data);
        string v = Assert.Single(sink.Violations).Details;
        Assert.Contains("not ordered after the copy", v, StringComparison.Ordinal);
    }

    [Fact]
    public void Seqlock_CopyUsedAfterItsReCheck_NoViolation()
    {
        (RaceDetector d, RecordingViolationSink sink) = Program();
        d.Access(2, AccessKind.OptimisticRead, Data);
        d.ReadBarrier(2);
        d.Access(2, AccessKind.AcquireLoad, Sequence);
        d.Accepted(2, Data);
        d.UsesOptimisticCopy(2, Data);
        Assert.Empty(sink.Violations);
    }

    [Fact]
    public void Seqlock_OneAcceptance_UsedTwice_IsReported()
    {
        // A later call that hands out a copy without making one (every attempt skipped) reuses nothing.
        (RaceDetector d, RecordingViolationSink sink) = Program();
        d.Access(2, AccessKind.OptimisticRead, Data);
        d.ReadBarrier(2);
        d.Access(2, AccessKind.AcquireLoad, Sequence);
        d.Accepted(2, Data);
        d.UsesOptimisticCopy(2, Data);
        d.UsesOptimisticCopy(2, Data);
        Assert.Contains("no re-check accepted", Assert.Single(sink.Violations).Details, StringComparison.Ordinal);
    }

    [Fact]
    public void Seqlock_CopyUsedWithoutAcceptance_IsReported()
    {
        // The re-check passed once, then a second copy is handed out without one.
        (RaceDetector d, RecordingViolationSink sink) = Program();
        d.Access(2, AccessKind.OptimisticRead, Data);
        d.ReadBarrier(2);
        d.Access(2, AccessKind.AcquireLoad, Sequence);
        d.Accepted(2, Data);
        d.Access(2, AccessKind.OptimisticRead, Data);
        d.UsesOptimisticCopy(2, Data);
        string v = Assert.Single(sink.Violations).Details;
        Assert.Contains("uses an optimistic copy of v0 that no re-check accepted", v, StringComparison.Ordinal);
    }

    [Fact]
    public void OptimisticRead_IsNotRecorded_SoALaterWriteDoesNotRaceWithIt()
    {
        (RaceDetector d, RecordingViolationSink sink) = Program();
        d.Access(2, AccessKind.OptimisticRead, Data);
        d.Access(1, AccessKind.PlainWrite, Data);
        Assert.Empty(sink.Violations);
    }

    [Fact]
    public void Operations_NameTheTasks()
    {
        (RaceDetector d, RecordingViolationSink sink) = Program();
        d.SetOperation(1, "Free #0@1");
        d.SetOperation(2, "Read #0@1");
        d.Access(1, AccessKind.PlainWrite, Data);
        d.Access(2, AccessKind.PlainRead, Data);
        Assert.Contains("task 2 (Read #0@1) plain read of v0 is not ordered by happens-before with task 1 (Free #0@1) plain write of v0", Assert.Single(sink.Violations).Details, StringComparison.Ordinal);
    }

    private static (RaceDetector Detector, RecordingViolationSink Sink) Program()
    {
        var sink = new RecordingViolationSink();
        return (new RaceDetector(sink), sink);
    }
}
