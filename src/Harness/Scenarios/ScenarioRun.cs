using System.Collections.Concurrent;
using ManagerVerified.Core;
using ManagerVerified.Diagnostics;
using ManagerVerified.Seam;
using ManagerVerified.Verification;
using ManagerVerified.Harness.Checking;
using ManagerVerified.Spec.Checking;
using ManagerVerified.Spec.Linearizability;
using ManagerVerified.Spec.Monitors;
using ManagerVerified.Spec.Races;

namespace ManagerVerified.Harness.Scenarios;

/// <summary>
/// One execution of a scenario: the checked manager, its context, and the driver operations every
/// scenario uses, each of which reports its result and what it saw to the monitors.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Diagnostic mode's BorrowTracker here runs on the stopped clock, whose timer never fires: there is nothing to dispose.")]
public sealed class ScenarioRun
{
    private readonly ConcurrentDictionary<MessageToken, long> _owners = new();

    // Owners and replacement versions count per task (task << 32 | n): unique without a counter the
    // tasks share, which would make every two stores depend on each other for the model checker.
    private readonly long[] _stored = new long[17];
    private readonly long[] _replaced = new long[17];

    // Each task's store in flight (its owner, 0 when none), from before the manager's Store until its token is
    // registered: a task that guesses the token (one of the generation a slot issues next) may reach the message
    // in between. Each task writes its own entry, so stores of different tasks stay independent.
    private readonly long[] _storing = new long[17];

    // Tokens that reached the message of a store still in flight, with its owner: that store must issue that
    // token (checked when it registers, and at the end for stores that issued another).
    private readonly ConcurrentDictionary<MessageToken, long> _guesses = new();

    internal ScenarioRun(ScenarioParameters parameters, VerificationContext context, HistoryRecorder? recorder = null)
    {
        Parameters = parameters;
        Context = context;
        Recorder = recorder ?? HistoryRecorder.Off;
        if (Recorder.IsOn)
        {
            Recorder.Observer = context.HistoryEvent;
        }

        Manager = CheckedManagers.Create(parameters, context);
        if (parameters.DiagnosticMode)
        {
            // The records diagnostic mode keeps are shared by the tasks: each change reports itself to the checker.
            _tokens = new DiagnosticTracker(parameters.Capacity, () => Context.SharedAccess(AccessKind.ReadModifyWrite, TokenRecordVariable));
            _borrows = new BorrowTracker(Manager, StoppedClock.Instance, TimeSpan.FromSeconds(10), static () => { }, () => Context.SharedAccess(AccessKind.ReadModifyWrite, BorrowRecordVariable));
        }
    }

    // Diagnostic mode (ScenarioParameters.DiagnosticMode): the public manager's bookkeeping, over the checked core.
    private readonly DiagnosticTracker? _tokens;
    private readonly BorrowTracker? _borrows;
    private const int TokenRecordVariable = FirstCellVariable - 1;
    private const int BorrowRecordVariable = FirstCellVariable - 2;

    /// <summary>Who releases guards: the core, or in diagnostic mode the record of held guards.</summary>
    private ISlotLockOwner Owner => (ISlotLockOwner?)_borrows ?? Manager;

    // The guard-taking calls: the core's, then, in diagnostic mode, a record of the guard (as the public manager does).

    private MemoryError AcquireRead(MessageToken token, WaitLimit wait, out ReadGuard<CheckedPayload> guard)
    {
        MemoryError error = Manager.Read(token, wait, out guard);
        if (error == MemoryError.None && _borrows is not null)
        {
            guard = guard.Tracked(_borrows, _borrows.Acquired(token, GuardKind.Read));
        }

        return error;
    }

    private MemoryError AcquireHeader(MessageToken token, WaitLimit wait, out HeaderGuard guard)
    {
        MemoryError error = Manager.PeekHeader(token, wait, out guard);
        if (error == MemoryError.None && _borrows is not null)
        {
            guard = guard.Tracked(_borrows, _borrows.Acquired(token, GuardKind.Header));
        }

        return error;
    }

    private MemoryError AcquireWrite(MessageToken token, WaitLimit wait, out WriteGuard<CheckedPayload> guard)
    {
        MemoryError error = Manager.Write(token, wait, out guard);
        if (error == MemoryError.None && _borrows is not null)
        {
            guard = guard.Tracked(_borrows, _borrows.Acquired(token, GuardKind.Write));
        }

        return error;
    }

    /// <summary>Records the run's history for the linearizability checker (<see cref="HistoryRecorder.Off"/> when disabled).</summary>
    public HistoryRecorder Recorder { get; }

    /// <summary>The run's parameters.</summary>
    public ScenarioParameters Parameters { get; }

    /// <summary>The run's context (scheduler, monitors, planted bug).</summary>
    public VerificationContext Context { get; }

    /// <summary>The manager under test: the core on the checked seam, whose operations return their error.</summary>
    internal SlotManager<CheckedPayload, CheckedSeam> Manager { get; }

    /// <summary>Runs <paramref name="body"/> as <see cref="ScenarioParameters.Tasks"/> concurrent tasks and waits for all.
    /// Task <c>i</c> (0-based) runs as the context's task <c>i + 1</c>: forked from the set-up, joined at the end.</summary>
    public async Task RunTasksAsync(Action<int> body)
    {
        Context.TaskCount = Parameters.Tasks;
        await Context.Scheduler.RunTasks(Parameters.Tasks, id =>
        {
            Context.EnterTask(id + 1);
            body(id);
        }).ConfigureAwait(false);
        for (int id = 0; id < Parameters.Tasks; id++)
        {
            Context.JoinTask(id + 1);
        }
    }

    /// <summary>Stores a fresh whole message; returns the error (None on success). Store never waits,
    /// so Store and TryStore differ only in how the public surface reports a failure.</summary>
    public MemoryError Store(bool tryOnly, out MessageToken token)
    {
        int task = Context.CurrentTask;
        long owner = ((long)task << 32) | ++_stored[task];
        int step = Begin(tryOnly ? "TryStore" : "Store", StepKind.Store, tryOnly, default, owner);
        Context.StoreInFlight(task, writes: true);
        Volatile.Write(ref _storing[task], owner);
        MemoryError error = Manager.Store(CheckedPayload.Create(owner, 0), out token);
        Recorder.End(step, error, token);
        if (error == MemoryError.None)
        {
            _tokens?.OnStored(token);
            Context.MonitorState(token.Index, writes: true);
            _owners[token] = owner;
            if (_guesses.TryRemove(token, out long guessed) && guessed != owner)
            {
                Fail(SpecProperty.StaleToken, $"{token}, used before its store returned, reached the message of owner {guessed}, but the store of owner {owner} issued it");
            }
        }

        Context.StoreInFlight(task, writes: true);
        Volatile.Write(ref _storing[task], 0);
        return error;
    }

    /// <summary>Stores <paramref name="count"/> messages, then frees the ones stored, in order.</summary>
    /// <param name="count">How many stores.</param>
    /// <param name="alternateStoreKinds">True: TryStore and Store alternate (TryStore first); false: TryStore only.</param>
    /// <param name="tryFree">TryFree instead of the blocking Free.</param>
    public void StoreBatchThenFree(int count, bool alternateStoreKinds, bool tryFree)
    {
        var held = new List<MessageToken>(count);
        for (int i = 0; i < count; i++)
        {
            if (Store(tryOnly: !alternateStoreKinds || (i & 1) == 0, out MessageToken token) == MemoryError.None)
            {
                held.Add(token);
            }
        }

        foreach (MessageToken token in held)
        {
            Free(token, tryOnly: tryFree);
        }
    }

    /// <summary>Reads (or peeks) and checks what it saw.</summary>
    /// <param name="token">The token.</param>
    /// <param name="tryOnly">Try (no wait) instead of blocking.</param>
    /// <param name="headerOnly">PeekHeader instead of Read.</param>
    /// <param name="timed">With <paramref name="tryOnly"/> false: a timed wait, which may give up (Timeout).</param>
    public MemoryError Read(MessageToken token, bool tryOnly, bool headerOnly = false, bool timed = false)
    {
        bool freed = WasFreed(token);
        WaitLimit wait = LimitOf(tryOnly, timed);
        MemoryError error = headerOnly ? PeekCore(token, tryOnly, wait) : ReadCore(token, tryOnly, wait);
        Context.TokenOperation(headerOnly ? OperationKind.PeekHeader : OperationKind.Read, token, freed, error);
        return error;
    }

    private MemoryError ReadCore(MessageToken token, bool tryOnly, WaitLimit wait)
    {
        int step = Begin($"{Name("Read", tryOnly, wait)} {token}", StepKind.AcquireRead, tryOnly, token, timed: wait.CanGiveUp);
        MemoryError error = AcquireRead(token, wait, out ReadGuard<CheckedPayload> guard);
        if (error == MemoryError.None)
        {
            Context.UserAccess(AccessKind.PlainRead, token.Index);
            Recorder.End(step, error, owner: guard.Value.Payload.Owner, version: guard.Value.Payload.Version);
            Context.MessageObserved(token, OwnerOf(token, guard.Value.Payload.Owner), guard.Value);
            int release = Recorder.Begin(StepKind.ReleaseRead, false, token);
            guard.Dispose();
            Recorder.End(release, MemoryError.None);
            CheckReleased(ref guard, token);
            return error;
        }

        Recorder.End(step, error);
        return error;
    }

    private MemoryError PeekCore(MessageToken token, bool tryOnly, WaitLimit wait)
    {
        int step = Begin($"{Name("PeekHeader", tryOnly, wait)} {token}", StepKind.AcquireRead, tryOnly, token, timed: wait.CanGiveUp);
        MemoryError error = AcquireHeader(token, wait, out HeaderGuard guard);
        if (error == MemoryError.None)
        {
            Context.UserAccess(AccessKind.PlainRead, token.Index);
            long owner = (long)guard.Value.TraceId;
            long version = (long)guard.Value.Sequence;
            Recorder.End(step, error, owner: owner, version: version);

            // The header names its owner; handing it to the monitors as a whole message lets the
            // stale-token monitor see a header of someone else's message.
            Context.MessageObserved(token, OwnerOf(token, owner), CheckedPayload.Create(owner, version));
            int release = Recorder.Begin(StepKind.ReleaseRead, false, token);
            guard.Dispose();
            Recorder.End(release, MemoryError.None);
            CheckReleased(ref guard, token);
            return error;
        }

        Recorder.End(step, error);
        return error;
    }

    // The guards' contract after Dispose, checked after every release the driver makes: Value throws
    // ObjectDisposedException (a value after the release would be read without a borrow), a second Dispose
    // is harmless (it must not release anyone's borrow), and so is nothing else. No seam access in a correct
    // manager, so the checks add no step to any exploration.
    private void CheckReleased(ref ReadGuard<CheckedPayload> guard, MessageToken token)
    {
        try
        {
            _ = guard.Value;
            Fail(SpecProperty.ReadWriteExclusion, $"a disposed read guard of {token} still handed out its message");
        }
        catch (ObjectDisposedException)
        {
        }

        SecondDispose(ReleaseError(ref guard), "read", token);
    }

    private void CheckReleased(ref HeaderGuard guard, MessageToken token)
    {
        try
        {
            _ = guard.Value;
            Fail(SpecProperty.ReadWriteExclusion, $"a disposed header guard of {token} still handed out its header");
        }
        catch (ObjectDisposedException)
        {
        }

        MemoryError second = MemoryError.None;
        try
        {
            guard.Dispose();
        }
        catch (MemoryManagerException e)
        {
            second = e.Error;
        }

        SecondDispose(second, "header", token);
    }

    private void CheckReleased(ref WriteGuard<CheckedPayload> guard, MessageToken token)
    {
        try
        {
            _ = guard.Value;
            Fail(SpecProperty.ReadWriteExclusion, $"a disposed write guard of {token} still handed out its message");
        }
        catch (ObjectDisposedException)
        {
        }

        try
        {
            guard.Commit();
            Fail(SpecProperty.ReadWriteExclusion, $"a disposed write guard of {token} accepted a Commit");
        }
        catch (ObjectDisposedException)
        {
        }

        SecondDispose(ReleaseError(ref guard), "write", token);
    }

    private void SecondDispose(MemoryError error, string kind, MessageToken token)
    {
        if (error != MemoryError.None)
        {
            Fail(SpecProperty.ReadWriteExclusion, $"disposing a {kind} guard of {token} a second time returned {error} instead of doing nothing");
        }
    }

    /// <summary>Misuse, checked: reads, copies the read guard, releases the guard, and then releases the
    /// copy, which must be refused (NotBorrowed) and change nothing, whatever other tasks did to the slot
    /// in between. Only sound while no other task borrows this token: a copy released while another
    /// borrow of the same generation holds the slot takes that release (docs/reliability.md).</summary>
    public MemoryError ReadAndReleaseACopy(MessageToken token)
    {
        bool freed = WasFreed(token);
        int step = Begin($"Read (then release a copy) {token}", StepKind.AcquireRead, false, token);
        MemoryError error = AcquireRead(token, WaitLimit.Forever, out ReadGuard<CheckedPayload> guard);
        if (error == MemoryError.None)
        {
            Context.UserAccess(AccessKind.PlainRead, token.Index);
            Recorder.End(step, error, owner: guard.Value.Payload.Owner, version: guard.Value.Payload.Version);
            Context.MessageObserved(token, OwnerOf(token, guard.Value.Payload.Owner), guard.Value);
#pragma warning disable MV0001 // the copy is the point: its release must be refused
            ReadGuard<CheckedPayload> copy = guard;
#pragma warning restore MV0001
            int release = Recorder.Begin(StepKind.ReleaseRead, false, token);
            guard.Dispose();
            Recorder.End(release, MemoryError.None);
            Context.Scheduler.Point(); // others may free the slot, reuse it and borrow it here
            MemoryError second = ReleaseError(ref copy);
            if (second != MemoryError.NotBorrowed)
            {
                Fail(SpecProperty.ReadWriteExclusion, $"the second release of a copied read guard of {token} returned {second} instead of being refused (NotBorrowed)");
            }
        }
        else
        {
            Recorder.End(step, error);
        }

        Context.TokenOperation(OperationKind.Read, token, freed, error);
        return error;
    }

    private static MemoryError ReleaseError(ref ReadGuard<CheckedPayload> guard)
    {
        try
        {
            guard.Dispose();
            return MemoryError.None;
        }
        catch (MemoryManagerException e)
        {
            return e.Error;
        }
    }

    private static MemoryError ReleaseError(ref WriteGuard<CheckedPayload> guard)
    {
        try
        {
            guard.Dispose();
            return MemoryError.None;
        }
        catch (MemoryManagerException e)
        {
            return e.Error;
        }
    }

    private static MemoryError CommitError(ref WriteGuard<CheckedPayload> guard)
    {
        try
        {
            guard.Commit();
            return MemoryError.None;
        }
        catch (MemoryManagerException e)
        {
            return e.Error;
        }
    }

    /// <summary>Misuse, checked: writes a new version (committed), copies the write guard, releases the guard,
    /// and then commits and releases the copy, which must both be refused (NotBorrowed) and change nothing;
    /// again after freeing the message when <paramref name="thenFree"/>, while other tasks may reuse the slot
    /// and hold its next write. Only sound while no other task borrows or frees this token: a copy released
    /// while another exclusive borrow of the same generation holds the slot takes that release
    /// (docs/reliability.md).</summary>
    public MemoryError WriteAndMisuseACopy(MessageToken token, bool thenFree)
    {
        bool freed = WasFreed(token);
        int step = Begin($"Write (then commit and release a copy) {token}", StepKind.AcquireWrite, false, token);
        MemoryError error = AcquireWrite(token, WaitLimit.Forever, out WriteGuard<CheckedPayload> guard);
        if (error != MemoryError.None)
        {
            Recorder.End(step, error);
            Context.TokenOperation(OperationKind.Write, token, freed, error);
            return error;
        }

        long version = WriteHalves(ref guard, token, step, commit: true);
#pragma warning disable MV0001 // the copy is the point: its commit and release must be refused
        WriteGuard<CheckedPayload> copy = guard;
#pragma warning restore MV0001
        int release = Recorder.Begin(StepKind.ReleaseWrite, false, token, version: version);
        guard.Dispose();
        Recorder.End(release, MemoryError.None);
        CheckReleased(ref guard, token);
        Context.TokenOperation(OperationKind.Write, token, freed, error);
        MisuseCopy(ref copy, token);
        if (thenFree && Free(token, tryOnly: false) == MemoryError.None)
        {
            MisuseCopy(ref copy, token); // the slot may now be another message's, held by its writer
        }

        return error;
    }

    private void MisuseCopy(ref WriteGuard<CheckedPayload> copy, MessageToken token)
    {
        Context.Scheduler.Point(); // others may reuse the slot and hold its next write here
        MemoryError commit = CommitError(ref copy);
        if (commit != MemoryError.NotBorrowed)
        {
            Fail(SpecProperty.ReadWriteExclusion, $"committing a copied write guard of {token} after its release returned {commit} instead of being refused (NotBorrowed)");
        }

        // A released copy must be refused again and again: refused releases do not forget the borrow's owner.
#pragma warning disable MV0001
        WriteGuard<CheckedPayload> again = copy;
#pragma warning restore MV0001
        MemoryError second = ReleaseError(ref again);
        if (second != MemoryError.NotBorrowed)
        {
            Fail(SpecProperty.ReadWriteExclusion, $"releasing a copied write guard of {token} after its release returned {second} instead of being refused (NotBorrowed)");
        }
    }

    /// <summary>Reads (checking what it saw) and hands the borrow to other tasks through <paramref name="read"/> (they
    /// release copies of the guard): in diagnostic mode once it has read the message, so the guard's release races the
    /// copies' (the first wins: None, the others NotBorrowed); in production once the guard is released. Without
    /// diagnostic mode sound only while no other task reads this message: a read borrow's copy is told from another
    /// reader's borrow only by diagnostic mode (docs/reliability.md).</summary>
    public MemoryError ReadAndShare(MessageToken token, SharedCell<ReadHold> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        bool freed = WasFreed(token);
        int step = Begin($"Read (its borrow shared) {token}", StepKind.AcquireRead, false, token);
        MemoryError error = AcquireRead(token, WaitLimit.Forever, out ReadGuard<CheckedPayload> guard);
        if (error == MemoryError.None)
        {
            Context.UserAccess(AccessKind.PlainRead, token.Index);
            Recorder.End(step, error, owner: guard.Value.Payload.Owner, version: guard.Value.Payload.Version);
            Context.MessageObserved(token, OwnerOf(token, guard.Value.Payload.Owner), guard.Value);
            var shared = new ReadHold(token, guard.Ticket);
            if (_borrows is not null)
            {
                read.Write(shared); // diagnostic mode: the copy's release races the guard's, and the first one wins
            }

            int release = Recorder.Begin(StepKind.ReleaseRead, false, token);
            MemoryError released = ReleaseError(ref guard);
            Recorder.End(release, released);
            ExpectNoneOrNotBorrowed(released, $"releasing the read guard of {token}, whose borrow a copy shares,");
            if (_borrows is null)
            {
                // Production: handed over only once released. A read release is a CAS on a count, so the guard's and a
                // copy's racing releases are both told "the borrow's release is yours" until the CAS decides, and the
                // count cannot say whose borrow it took: the copy may only race later borrows (which refuse it).
                read.Write(shared);
            }
        }
        else
        {
            Recorder.End(step, error);
        }

        Context.TokenOperation(OperationKind.Read, token, freed, error);
        return error;
    }

    /// <summary>Misuse, on another task: releases a copy of the read guard whose borrow <paramref name="read"/> holds, if
    /// one was shared, while the guard itself is released and the message is written, replaced and freed. Accepted
    /// (None) only as the borrow's first release; else refused (NotBorrowed), changing nothing.</summary>
    public void MisuseASharedReadCopy(SharedCell<ReadHold> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        if (read.Read() is not ReadHold shared)
        {
            return;
        }

        var copy = new ReadGuard<CheckedPayload>(Owner, ref Manager.MessageAt(shared.Token.Index), shared.Token, shared.Ticket);
        int release = Begin($"Release a copy of the read guard of {shared.Token}", StepKind.ReleaseRead, false, shared.Token);
        MemoryError released = ReleaseError(ref copy);
        Recorder.End(release, released);
        if (_borrows is null && released != MemoryError.NotBorrowed)
        {
            // Production: the borrow was handed over once released, and no other read of it is in the scenario.
            Fail(SpecProperty.ReadWriteExclusion, $"releasing a copy of the released read guard of {shared.Token} returned {released} instead of being refused (NotBorrowed)");
        }

        ExpectNoneOrNotBorrowed(released, $"releasing a copy of the read guard of {shared.Token}");
    }

    /// <summary>Constructs a manager of the task's own now, while other tasks construct theirs and use this run's manager,
    /// stores a message in it and returns its token; checks that the new manager's identity is its own (not 0, not the
    /// run's, not another constructed one's) and that it refuses this run's token (ForeignToken). The process-wide
    /// identity counter is state every construction shares: the construction reports it as such, so the model checker
    /// orders concurrent constructions.</summary>
    public MessageToken ConstructAManagerAndStore(MessageToken ours)
    {
        Context.BeginOperation("construct a manager");
        Context.SharedAccess(AccessKind.ReadModifyWrite, IdentityVariable); // ManagerIdentity.Next: one Interlocked add
        var other = new SlotManager<CheckedPayload, ProductionSeam>(1, MemoryClass.Host, default, HeadLayout.ForCapacity(1), startTag: 0, startGeneration: SlotWord.FirstGeneration);
        Context.SharedAccess(AccessKind.ReadModifyWrite, ConstructedVariable);
        if (other.Id == 0 || other.Id == Manager.Id || !_constructed.TryAdd(other.Id, 0))
        {
            Fail(SpecProperty.StaleToken, $"a manager constructed concurrently with others got identity {other.Id}, which is 0, this run's or another's: their tokens would work on each other");
        }

        if (other.Read(ours, WaitLimit.None, out _) != MemoryError.ForeignToken)
        {
            Fail(SpecProperty.StaleToken, $"a manager constructed concurrently (identity {other.Id}) did not refuse {ours} of manager {Manager.Id} as foreign");
        }

        other.Store(CheckedPayload.Create(-1, 0), out MessageToken theirs);
        return theirs;
    }

    private readonly ConcurrentDictionary<uint, byte> _constructed = new();
    private const int IdentityVariable = FirstCellVariable - 3;
    private const int ConstructedVariable = FirstCellVariable - 4;

    /// <summary>A value this run's tasks share, reporting its own accesses (numbered apart from the scenarios' own
    /// shared variables). Create it in the set-up, before the tasks start.</summary>
    public SharedCell<T> NewCell<T>()
        where T : struct => new(Context, FirstCellVariable + _cells++);

    private const int FirstCellVariable = 1 << 20;
    private int _cells;

    /// <summary>Writes a new version, hands the guard's hold to other tasks through <paramref name="hold"/> (they commit
    /// and release copies of the guard while this task commits and releases it), then commits and releases the guard.
    /// Each is the hold's (None) or a copy's came first (NotBorrowed): exactly one of them ends the borrow, committed
    /// (whoever releases has committed first), whichever the interleaving, so the commit races the claim.</summary>
    public MemoryError WriteAndShareTheHold(MessageToken token, SharedCell<WriteHold> hold)
    {
        ArgumentNullException.ThrowIfNull(hold);
        bool freed = WasFreed(token);
        int step = Begin($"Write (its hold shared) {token}", StepKind.AcquireWrite, false, token);
        MemoryError error = AcquireWrite(token, WaitLimit.Forever, out WriteGuard<CheckedPayload> guard);
        if (error == MemoryError.None)
        {
            long version = WriteHalves(ref guard, token, step, commit: true, completeOnly: true);
            hold.Write(new WriteHold(token, guard.Hold, guard.Ticket, version));
            ExpectNoneOrNotBorrowed(CommitError(ref guard), $"committing the write guard of {token}, whose hold a copy shares,");
            int release = Recorder.Begin(StepKind.ReleaseWrite, false, token, version: version);
            MemoryError released = ReleaseError(ref guard);
            Recorder.End(release, released);
            ExpectNoneOrNotBorrowed(released, $"releasing the write guard of {token}, whose hold a copy shares,");
            CheckReleased(ref guard, token);
        }
        else
        {
            Recorder.End(step, error);
        }

        Context.TokenOperation(OperationKind.Write, token, freed, error);
        return error;
    }

    /// <summary>Misuse, on another task: commits, then releases, a copy of the write guard whose hold
    /// <paramref name="hold"/> holds, if one was shared, while the guard itself is released and the slot is freed,
    /// written or replaced. Each is accepted (None) only while the hold lasts, the release only as the hold's first;
    /// else refused (NotBorrowed), changing nothing: the monitors, the history and the quiescent checks judge which.</summary>
    public void MisuseASharedCopy(SharedCell<WriteHold> hold)
    {
        ArgumentNullException.ThrowIfNull(hold);
        if (hold.Read() is not WriteHold shared)
        {
            return;
        }

        // Exactly what a copy of the guard is: the same fields, made on this task.
        var copy = new WriteGuard<CheckedPayload>(Owner, ref Manager.MessageAt(shared.Token.Index), shared.Token, shared.Hold, shared.Ticket);
        Context.BeginOperation($"Commit a copy of the write guard of {shared.Token}");
        ExpectNoneOrNotBorrowed(CommitError(ref copy), $"committing a copy of the write guard of {shared.Token}"); // the guard committed before it shared the hold
        int release = Begin($"Release a copy of the write guard of {shared.Token}", StepKind.ReleaseWrite, false, shared.Token, version: shared.Version);
        MemoryError released = ReleaseError(ref copy);
        Recorder.End(release, released);
        ExpectNoneOrNotBorrowed(released, $"releasing a copy of the write guard of {shared.Token}");
    }

    private void ExpectNoneOrNotBorrowed(MemoryError error, string what)
    {
        if (error is not (MemoryError.None or MemoryError.NotBorrowed))
        {
            Fail(SpecProperty.ReadWriteExclusion, $"{what} returned {error}");
        }
    }

    /// <summary>Copies the header without a lock (TryCopyHeader) and checks what it saw.</summary>
    public MemoryError CopyHeader(MessageToken token)
    {
        bool freed = WasFreed(token);
        int step = Begin($"TryCopyHeader {token}", StepKind.CopyHeader, true, token);
        MemoryError error = Manager.CopyHeader(token, out MessageHeader header);
        Recorder.End(step, error, owner: (long)header.TraceId, version: (long)header.Sequence);
        if (error == MemoryError.None)
        {
            Context.UsesOptimisticCopy(token.Index);
            Context.HeaderObserved(token, OwnerOf(token, (long)header.TraceId), header);
        }

        Context.TokenOperation(OperationKind.PeekHeader, token, freed, error);
        return error;
    }

    /// <summary>Copies the whole message without a lock (TryCopy) and checks what it saw: a copy of a
    /// message torn by a write is a violation of the same monitors as a torn read.</summary>
    public MemoryError CopyMessage(MessageToken token)
    {
        bool freed = WasFreed(token);
        int step = Begin($"TryCopy {token}", StepKind.CopyHeader, true, token);
        MemoryError error = Manager.CopyMessage(token, out Message<CheckedPayload> message);
        Recorder.End(step, error, owner: message.Payload.Owner, version: message.Payload.Version);
        if (error == MemoryError.None)
        {
            Context.UsesOptimisticCopy(token.Index);
            Context.MessageObserved(token, OwnerOf(token, message.Payload.Owner), message);
        }

        Context.TokenOperation(OperationKind.Read, token, freed, error);
        return error;
    }

    /// <summary>Writes a new version in two steps with a scheduling point between them, so that a read
    /// that overlaps the write would see a torn message. <paramref name="abort"/>: the write scope ends
    /// after the first step, as if by an exception (no Commit): the slot must be poisoned, and nobody may
    /// read the half-written message.</summary>
    public MemoryError Write(MessageToken token, bool tryOnly, bool timed = false, bool abort = false)
    {
        bool freed = WasFreed(token);
        MemoryError error = WriteCore(token, tryOnly, LimitOf(tryOnly, timed), abort);
        Context.TokenOperation(OperationKind.Write, token, freed, error);
        return error;
    }

    /// <summary>Replaces the whole message with a new version of the same owner (clearing poison).</summary>
    public MemoryError Replace(MessageToken token, bool tryOnly, bool timed = false)
    {
        bool freed = WasFreed(token);
        WaitLimit wait = LimitOf(tryOnly, timed);
        long owner = OwnerOf(token);
        long version = 1_000_000 + (((long)Context.CurrentTask << 32) | ++_replaced[Context.CurrentTask]);
        int acquire = Begin($"{Name("Replace", tryOnly, wait)} {token}", StepKind.Replace, tryOnly, token, timed: wait.CanGiveUp);
        int release = Recorder.Begin(StepKind.ReleaseWrite, tryOnly, token, version: version);
        MemoryError error = Manager.Replace(token, CheckedPayload.Create(owner, version), wait);
        Recorder.End(release, error);
        Recorder.End(acquire, error);
        Context.TokenOperation(OperationKind.Write, token, freed, error);
        return error;
    }

    private MemoryError WriteCore(MessageToken token, bool tryOnly, WaitLimit wait, bool abort)
    {
        int step = Begin($"{Name("Write", tryOnly, wait)} {token}", StepKind.AcquireWrite, tryOnly, token, timed: wait.CanGiveUp);
        MemoryError error = AcquireWrite(token, wait, out WriteGuard<CheckedPayload> guard);
        if (error != MemoryError.None)
        {
            Recorder.End(step, error);
            return error;
        }

        long version = WriteHalves(ref guard, token, step, commit: !abort);

        // Aborted: the scope ends after the first half, as if by an exception: released without Commit.
        int release = abort ? Recorder.Begin(StepKind.AbortWrite, false, token) : Recorder.Begin(StepKind.ReleaseWrite, false, token, version: version);
        guard.Dispose();
        Recorder.End(release, MemoryError.None);
        CheckReleased(ref guard, token);
        return MemoryError.None;
    }

    /// <summary>Writes the next version in two halves with a scheduling point between them (an overlapping
    /// read or copy there sees a torn message), then, when <paramref name="commit"/>, the second half and
    /// Commit. Returns the version written.</summary>
    private long WriteHalves(ref WriteGuard<CheckedPayload> guard, MessageToken token, int step, bool commit, bool completeOnly = false)
    {
        ref Message<CheckedPayload> message = ref guard.Value;
        Context.UserAccess(AccessKind.PlainRead, token.Index);
        Recorder.End(step, MemoryError.None, owner: message.Payload.Owner, version: message.Payload.Version);
        Context.MessageObserved(token, OwnerOf(token, message.Payload.Owner), message);
        long owner = message.Payload.Owner;
        long version = message.Payload.Version + 1;
        Context.UserAccess(AccessKind.PlainWrite, token.Index);
        message.Header.Sequence = (ulong)version;
        Context.Scheduler.Point(); // an overlapping read (or header copy) here sees a torn message
        if (commit)
        {
            Context.UserAccess(AccessKind.PlainWrite, token.Index);
            message.Header.PayloadSizeBytes = CheckedPayload.HeaderCheck(owner, version);
            message.Payload = new CheckedPayload(owner, version, CheckedPayload.Checksum(owner, version));
            if (!completeOnly)
            {
                guard.Commit();
            }
        }

        return version;
    }

    /// <summary>Frees (blocking or Try) and reports the result.</summary>
    public MemoryError Free(MessageToken token, bool tryOnly, bool timed = false)
    {
        bool freed = WasFreed(token);
        WaitLimit wait = LimitOf(tryOnly, timed);
        int acquire = Begin($"{Name("Free", tryOnly, wait)} {token}", StepKind.FreeAcquire, tryOnly, token, timed: wait.CanGiveUp);
        int invalidate = Recorder.Begin(StepKind.FreeInvalidate, tryOnly, token);
        int recycle = Recorder.Begin(StepKind.FreeRecycle, tryOnly, token);
        MemoryError error = Manager.Free(token, wait);
        if (error == MemoryError.None)
        {
            _tokens?.OnFreed(token);
        }

        Recorder.End(recycle, error);
        Recorder.End(invalidate, error);
        Recorder.End(acquire, error);
        Context.TokenOperation(OperationKind.Free, token, freed, error);
        return error;
    }

    /// <summary>Try: no wait. Blocking: for ever. Timed: a deadline on a clock that never moves (<see cref="StoppedClock"/>),
    /// so a timed wait gives up only where the scheduler chooses inside a wait (under Coyote and the model checker:
    /// at any point, so both outcomes are explored; on real threads: never).</summary>
    private static WaitLimit LimitOf(bool tryOnly, bool timed) =>
        tryOnly ? WaitLimit.None : timed ? WaitLimit.For(TimeSpan.FromSeconds(30), StoppedClock.Instance, CancellationToken.None) : WaitLimit.Forever;

    private static string Name(string operation, bool tryOnly, WaitLimit wait) =>
        tryOnly ? "Try" + operation : wait.CanGiveUp ? $"{operation}(timed)" : operation;

    /// <summary>Names the operation for race reports and opens its first history step (<paramref name="timed"/>: a
    /// call with a timeout, which alone may answer Timeout).</summary>
    private int Begin(string operation, StepKind kind, bool tryOnly, MessageToken token, long owner = 0, long version = 0, bool timed = false)
    {
        Context.BeginOperation(operation);
        return Recorder.Begin(kind, tryOnly, token, owner, version, timed);
    }

    /// <summary>Reports a scenario-level violation.</summary>
    public void Fail(SpecProperty property, string details) => Context.Sink.Report(property, details);

    /// <summary>Adds <paramref name="count"/> read borrows of <paramref name="token"/>'s message that no guard holds
    /// (negative: takes them away), so a scenario can start a slot at the reader limit without 2^21 - 1 guards. Call
    /// only when no task is running: the slot word is changed directly, not through the seam (no step of any
    /// exploration), and the history records it for the specification.</summary>
    public void PhantomReaders(MessageToken token, int count)
    {
        ref long word = ref Manager.SlotWordAt(token.Index);
        long readers = (Volatile.Read(ref word) & Core.SlotWord.ReaderMask) + count;
        if (readers < 0 || readers > Core.SlotWord.MaxReaders)
        {
            // The word lost (or gained) readers behind the guards' backs: a count that overflowed into the writer bit.
            Fail(SpecProperty.ReadWriteExclusion, $"slot {token.Index} cannot take {count} phantom readers: its word is {new Core.SlotWord(Volatile.Read(ref word))}");
            return;
        }

        int step = Recorder.Begin(StepKind.PhantomReaders, false, token, version: count);
        Volatile.Write(ref word, Volatile.Read(ref word) + count);
        Recorder.End(step, MemoryError.None, version: count);
    }

    /// <summary>Runs every monitor's quiescent check. Call only when no task is running.</summary>
    public void CheckQuiescent()
    {
        // A guess recorded after its store registered (between the guess's two look-ups) is checked here.
        foreach ((MessageToken token, long owner) in _guesses)
        {
            if (!_owners.TryGetValue(token, out long issued) || issued != owner)
            {
                Fail(SpecProperty.StaleToken, $"{token}, used before its store returned, reached the message of owner {owner}, whose store issued another token");
            }
        }

        Context.CheckQuiescent(Manager.SnapshotQuiescent());
    }

    private bool WasFreed(MessageToken token)
    {
        Context.MonitorState(token.Index, writes: false);
        return token.ManagerId == Manager.Id && (Context.StaleTokens?.IsFreed(token) ?? false);
    }

    private long OwnerOf(MessageToken token)
    {
        Context.MonitorState(token.Index, writes: false);
        return _owners.TryGetValue(token, out long owner) ? owner : -1;
    }

    /// <summary>The owner <paramref name="token"/> was stored for (-1: none), given the one a read saw: a token
    /// not registered yet may be one guessed ahead of a store still in flight, which then owns it, provided that
    /// store issues it (checked when it does, and at the end).</summary>
    private long OwnerOf(MessageToken token, long observed)
    {
        long owner = OwnerOf(token);
        if (owner != -1 || observed <= 0)
        {
            return owner;
        }

        for (int task = 0; task < _storing.Length; task++)
        {
            Context.StoreInFlight(task, writes: false);
            if (Volatile.Read(ref _storing[task]) == observed)
            {
                Context.MonitorState(token.Index, writes: true);
                _guesses[token] = observed;
                return observed;
            }
        }

        // A store registers its token before it leaves the in-flight record: one that left between the two
        // look-ups has registered (on real threads, or at Coyote's points inside the dictionary).
        return OwnerOf(token);
    }
}

/// <summary>A write guard's hold, handed to another task that releases or commits copies of the guard.</summary>
/// <param name="Token">The token written.</param>
/// <param name="Hold">The hold's number (<see cref="WriteGuard{TPayload}"/>'s).</param>
/// <param name="Ticket">Diagnostic mode's ticket of the guard (0 in production).</param>
/// <param name="Version">The version the write publishes.</param>
public readonly record struct WriteHold(MessageToken Token, long Hold, int Ticket, long Version);

/// <summary>A read guard's borrow, handed to another task that releases a copy of the guard.</summary>
/// <param name="Token">The token read.</param>
/// <param name="Ticket">Diagnostic mode's ticket of the guard (0 in production).</param>
public readonly record struct ReadHold(MessageToken Token, int Ticket);
