using ManagerVerified.Spec.Races;
using ManagerVerified.Harness.Checking;
using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Harness.Scenarios;

/// <summary>Store/free churn: every task stores <c>Operations</c> messages, then frees them in order
/// (the free-list's pop/push race; the classic ABA workload).</summary>
public sealed class ChurnScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "churn";

    /// <inheritdoc />
    public override string Description => "tasks store a batch then free it: pop/push races on the free-list";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 4, Tasks: 2, Operations: 3);

    /// <inheritdoc />
    protected override Task ExecuteAsync(ScenarioRun run) => run.RunTasksAsync(task =>
    {
        run.StoreBatchThenFree(run.Parameters.Operations, alternateStoreKinds: true, tryFree: false);
    });
}

/// <summary>Narrow-tag wraparound: store/free rounds long enough for a 1-3 bit tag to come back to its
/// value while another task is paused inside its pop.</summary>
public sealed class WraparoundScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "wraparound";

    /// <inheritdoc />
    public override string Description => "repeated store/free rounds that wrap a narrow head tag";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 4, Tasks: 6, Operations: 2, TagBits: 2);

    /// <inheritdoc />
    protected override Task ExecuteAsync(ScenarioRun run) => run.RunTasksAsync(task =>
    {
        // Task 0 is the victim: one store and one free, so one pop that may be paused between reading
        // the head and its CAS. Every other task churns: Operations rounds of one or two stores and
        // their frees (alternating), so that together they make the 2^TagBits successful head CASes
        // that bring the victim's (top, tag) back while moving its top's link.
        int rounds = task == 0 ? 1 : run.Parameters.Operations;
        for (int round = 0; round < rounds; round++)
        {
            run.StoreBatchThenFree(task == 0 ? 1 : 1 + ((round + task) & 1), alternateStoreKinds: false, tryFree: true);
        }
    });
}

/// <summary>Readers against a writer on one slot: task 0 writes, the others read and peek.</summary>
public sealed class ReadersWriterScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "readers-writer";

    /// <inheritdoc />
    public override string Description => "one writer and several readers share one token: lock exclusion, torn reads";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 2, Tasks: 3, Operations: 2);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(ScenarioRun run)
    {
        run.Store(tryOnly: false, out MessageToken shared);
        await run.RunTasksAsync(task =>
        {
            for (int i = 0; i < run.Parameters.Operations; i++)
            {
                bool tryOnly = (i & 1) == 1;
                if (task == 0)
                {
                    run.Write(shared, tryOnly);
                }
                else if (task % 3 == 2)
                {
                    run.CopyHeader(shared);
                }
                else
                {
                    run.Read(shared, tryOnly, headerOnly: task % 2 == 0 && i % 2 == 0);
                }
            }
        }).ConfigureAwait(false);
        run.Free(shared, tryOnly: false);
    }
}

/// <summary>Readers and writers against Free of the same token: task 0 frees the shared token halfway and
/// stores a new message (on capacity 1, into the same slot); everyone keeps using the old token.</summary>
public sealed class BorrowsVersusFreeScenario : Scenario
{
    private const int Replacement = 0; // the shared variable of the replacement token


    /// <inheritdoc />
    public override string Name => "borrows-vs-free";

    /// <inheritdoc />
    public override string Description => "reads and writes race a Free of the same token, then the slot is reused";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 1, Tasks: 3, Operations: 2);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(ScenarioRun run)
    {
        run.Store(tryOnly: false, out MessageToken shared);
        object? replacement = null; // a boxed token: one reference, written and read whole
        await run.RunTasksAsync(task =>
        {
            for (int i = 0; i < run.Parameters.Operations; i++)
            {
                bool tryOnly = ((i + task) & 1) == 1;
                if (task == 0)
                {
                    if (i == run.Parameters.Operations / 2)
                    {
                        run.Free(shared, tryOnly: false);
                        if (run.Store(tryOnly: true, out MessageToken fresh) == MemoryError.None)
                        {
                            run.Context.SharedAccess(AccessKind.ReleaseStore, Replacement);
                            Volatile.Write(ref replacement, fresh);
                        }
                    }

                    run.Read(shared, tryOnly);
                }
                else if (task == 1)
                {
                    run.Write(shared, tryOnly);
                }
                else
                {
                    run.Read(shared, tryOnly, headerOnly: (i & 1) == 0);
                }
            }

            run.Free(shared, tryOnly: true); // whoever comes last: NotAllocated once freed
        }).ConfigureAwait(false);

        if (replacement is MessageToken fresh)
        {
            run.Free(fresh, tryOnly: false);
        }
    }
}

/// <summary>Exhaustion: more tasks than slots each store once and hold until everyone has tried;
/// a <see cref="MemoryError.NoFreeSlots"/> is only right when every slot was taken.</summary>
public sealed class ExhaustionScenario : Scenario
{
    // The shared variables: the two barrier counts, then one count of stores per round.
    private const int Tried = 0;
    private const int Freed = 1;
    private const int Stored = 2;


    /// <inheritdoc />
    public override string Name => "exhaustion";

    /// <inheritdoc />
    public override string Description => "more tasks than slots store at once: NoFreeSlots only when the list was empty";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 2, Tasks: 3, Operations: 1);

    /// <inheritdoc />
    protected override Task ExecuteAsync(ScenarioRun run)
    {
        int tasks = run.Parameters.Tasks;
        int capacity = run.Parameters.Capacity;
        var stored = new int[run.Parameters.Operations];
        int tried = 0;
        int freed = 0;
        return run.RunTasksAsync(task =>
        {
            for (int round = 0; round < run.Parameters.Operations; round++)
            {
                MemoryError error = run.Store(tryOnly: (task & 1) == 0, out MessageToken token);
                if (error == MemoryError.None)
                {
                    run.Context.SharedAccess(AccessKind.ReadModifyWrite, Stored + round);
                    Interlocked.Increment(ref stored[round]);
                }

                // Nobody frees until every task has tried this round: a refusal then proves the list was empty.
                int target = (round + 1) * tasks;
                run.Context.SharedAccess(AccessKind.ReadModifyWrite, Tried);
                Interlocked.Increment(ref tried);
                run.Context.WaitingOnShared(Tried);
                run.Context.Scheduler.WaitUntil(() => Volatile.Read(ref tried) >= target, giveUp: null);
                if (run.Context.Installed.HasFlag(MonitorSet.StoreCompleteness))
                {
                    run.Context.SharedAccess(AccessKind.AcquireLoad, Stored + round);
                    CheckRound(run, error, Volatile.Read(ref stored[round]), tasks, capacity);
                }

                if (error == MemoryError.None)
                {
                    run.Read(token, tryOnly: true);
                    run.Free(token, tryOnly: false);
                }

                // Everyone has freed before anyone starts the next round.
                run.Context.SharedAccess(AccessKind.ReadModifyWrite, Freed);
                Interlocked.Increment(ref freed);
                run.Context.WaitingOnShared(Freed);
                run.Context.Scheduler.WaitUntil(() => Volatile.Read(ref freed) >= target, giveUp: null);
            }
        });
    }

    /// <summary>With every task past its store and nobody freeing yet, a refusal proves the list was empty.</summary>
    private static void CheckRound(ScenarioRun run, MemoryError error, int storedNow, int tasks, int capacity)
    {
        if (error == MemoryError.NoFreeSlots && storedNow < capacity)
        {
            run.Fail(SpecProperty.StoreCompleteness, $"a store got NoFreeSlots while only {storedNow} of {capacity} slots were taken");
        }
        else if (storedNow > Math.Min(tasks, capacity))
        {
            run.Fail(SpecProperty.StoreCompleteness, $"{storedNow} stores succeeded on {capacity} slots in one round");
        }
    }
}

/// <summary>Every operation, blocking and Try, over a shared pool of tokens that includes stale,
/// default and foreign (never issued) tokens.</summary>
public sealed class MixedScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "mixed";

    /// <inheritdoc />
    public override string Description => "every operation, Try- and timed variant over shared, stale, default and foreign tokens";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 2, Tasks: 2, Operations: 6);

    /// <inheritdoc />
    protected override Task ExecuteAsync(ScenarioRun run)
    {
        // The pool: tokens any task may pick, boxed so that one is written and read whole. Entry 0 was
        // never issued, entry 1 is default, entry 2 is another manager's (ForeignToken).
        var pool = new object?[run.Parameters.Capacity + 5];
        pool[0] = new MessageToken(0, 999, run.Manager.Id);
        pool[1] = default(MessageToken);
        pool[2] = new MessageToken(0, run.Parameters.FirstGeneration, run.Manager.Id + 1);
        return run.RunTasksAsync(task =>
        {
            // Not HashCode.Combine: it is seeded per process, so a trace written by one process would
            // meet different choices when another replays it.
            var random = new Random(unchecked((run.Parameters.Seed * 1_000_003) + task));
            var mine = new List<MessageToken>();
            for (int i = 0; i < run.Parameters.Operations; i++)
            {
                int pick = random.Next(pool.Length);
                run.Context.SharedAccess(AccessKind.AcquireLoad, pick);
                MessageToken any = Volatile.Read(ref pool[pick]) is MessageToken picked ? picked : default;
                bool tryOnly = random.Next(2) == 0;
                switch (random.Next(6))
                {
                    case 0:
                    case 1:
                        if (run.Store(tryOnly: true, out MessageToken token) == MemoryError.None)
                        {
                            mine.Add(token);
                            int put = 3 + random.Next(pool.Length - 3);
                            run.Context.SharedAccess(AccessKind.ReleaseStore, put);
                            Volatile.Write(ref pool[put], token);
                        }

                        break;
                    case 2:
                        if (random.Next(3) == 0)
                        {
                            run.CopyHeader(any);
                        }
                        else
                        {
                            run.Read(any, tryOnly: true, headerOnly: random.Next(2) == 0);
                        }

                        break;
                    case 3:
                        // Another task's token: never a blocking wait, but a timed one may give up (Timeout).
                        bool timed = random.Next(3) == 0;
                        run.Write(any, tryOnly: !timed, timed: timed);
                        break;
                    case 4:
                        if (mine.Count > 0)
                        {
                            MessageToken own = mine[random.Next(mine.Count)];
                            run.Read(own, tryOnly);
                            run.Write(own, tryOnly);
                        }

                        break;
                    default:
                        if (mine.Count > 0)
                        {
                            int at = random.Next(mine.Count);
                            if (run.Free(mine[at], tryOnly, timed: !tryOnly && random.Next(2) == 0) is MemoryError.None or MemoryError.NotAllocated)
                            {
                                mine.RemoveAt(at);
                            }
                        }
                        else
                        {
                            run.Free(any, tryOnly: true);
                        }

                        break;
                }
            }

            // Leave nothing behind: blocking frees of what this task still owns.
            foreach (MessageToken token in mine)
            {
                run.Free(token, tryOnly: false);
            }
        });
    }
}

/// <summary>Timed waits: one task writes (holding the slot across a scheduling point) while the others
/// read, peek, write and free the same token with timeouts. Under Coyote a timed wait may give up at any
/// point while the conflict lasts, so both outcomes (Timeout, and the borrow once the writer leaves) are
/// explored and checked against the specification.</summary>
public sealed class TimedWaitsScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "timed-waits";

    /// <inheritdoc />
    public override string Description => "timed reads, peeks, writes and frees wait on a writer: Timeout, or the borrow once it leaves";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 1, Tasks: 3, Operations: 2);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(ScenarioRun run)
    {
        run.Store(tryOnly: false, out MessageToken shared);
        await run.RunTasksAsync(task =>
        {
            for (int i = 0; i < run.Parameters.Operations; i++)
            {
                switch ((task + i) % 4)
                {
                    case 0:
                        run.Write(shared, tryOnly: false);
                        break;
                    case 1:
                        run.Read(shared, tryOnly: false, headerOnly: (i & 1) == 1, timed: true);
                        break;
                    case 2:
                        run.Write(shared, tryOnly: false, timed: true);
                        break;
                    default:
                        // A timed free that wins ends the message: every later operation is stale.
                        run.Free(shared, tryOnly: false, timed: true);
                        break;
                }
            }
        }).ConfigureAwait(false);
        run.Free(shared, tryOnly: true);
    }
}

/// <summary>Guard copies: one task reads its token and releases a copy of the read guard after the guard
/// itself, while another frees that token, reuses the slot and reads and writes the new message. Every
/// copy's release must be refused and take no one's borrow.</summary>
public sealed class GuardCopiesScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "guard-copies";

    /// <inheritdoc />
    public override string Description => "a copied read guard released after the guard, while the slot is freed, reused and borrowed";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 1, Tasks: 2, Operations: 2);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(ScenarioRun run)
    {
        run.Store(tryOnly: false, out MessageToken first);
        await run.RunTasksAsync(task =>
        {
            if (task == 0)
            {
                for (int i = 0; i < run.Parameters.Operations; i++)
                {
                    run.ReadAndReleaseACopy(first);
                }

                return;
            }

            run.Free(first, tryOnly: false);
            if (run.Store(tryOnly: true, out MessageToken next) == MemoryError.None)
            {
                run.Read(next, tryOnly: false);
                run.Write(next, tryOnly: false);
                run.Free(next, tryOnly: false);
            }
        }).ConfigureAwait(false);
    }
}

/// <summary>Write-guard copies: one task writes its message, then commits and releases a copy of the write
/// guard after the guard (both must be refused), frees the message on its last round and tries the copy
/// again, while the other tasks store the freed slot's next message, write half of it and end the scope
/// without commit (poison), read it and free it. A copy must neither release nor commit anyone's write: a
/// commit of the next writer's half write would publish it instead of poisoning the slot.</summary>
public sealed class WriteGuardCopiesScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "write-guard-copies";

    /// <inheritdoc />
    public override string Description => "a copied write guard committed and released after the guard, before and after its slot holds the next message's aborted write";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 1, Tasks: 2, Operations: 1);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(ScenarioRun run)
    {
        run.Store(tryOnly: false, out MessageToken first);
        await run.RunTasksAsync(task =>
        {
            int rounds = run.Parameters.Operations;
            for (int i = 0; i < rounds; i++)
            {
                if (task == 0)
                {
                    run.WriteAndMisuseACopy(first, thenFree: i == rounds - 1);
                }
                else if (run.Store(tryOnly: true, out MessageToken next) == MemoryError.None)
                {
                    run.Write(next, tryOnly: false, abort: true);
                    run.Read(next, tryOnly: true);
                    run.Free(next, tryOnly: false);
                }
            }
        }).ConfigureAwait(false);
    }
}

/// <summary>Copy races: copies of a read and a write guard released (the write guard's committed too) on another task
/// while the guards themselves are committed and released and the message is freed, written and replaced. Task 0
/// reads the message (first round) and writes it, handing each guard's borrow to the others after its last access of
/// the message, commits and releases the guards, and frees the message on its last round; task 1 releases a copy of the read guard,
/// commits and releases a copy of the write guard, then replaces (even rounds) or writes (odd rounds) the message;
/// task 2 and on free it, or copy its header (in diagnostic mode: read it). Of a guard and its copies only the
/// borrow's first release may be accepted, and only while the borrow lasts: a copy that took another borrow's release
/// (a later write's, a Replace's, a Free's, another reader's) would let that borrow's owner use a message someone else
/// now holds, frees or stores into. Without diagnostic mode no other task reads the message: a read copy may take
/// another reader's place there, which only diagnostic mode can refuse (docs/reliability.md).</summary>
public sealed class CopyRacesScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "copy-races";

    /// <inheritdoc />
    public override string Description => "copied read and write guards released or committed on another task while the guards are released and the message freed, written and replaced";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 1, Tasks: 2, Operations: 2);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(ScenarioRun run)
    {
        run.Store(tryOnly: false, out MessageToken token);
        SharedCell<ReadHold> read = run.NewCell<ReadHold>();
        SharedCell<WriteHold> hold = run.NewCell<WriteHold>();
        await run.RunTasksAsync(task =>
        {
            int rounds = run.Parameters.Operations;
            for (int i = 0; i < rounds; i++)
            {
                if (task == 0)
                {
                    if (i == 0)
                    {
                        run.ReadAndShare(token, read);
                    }

                    run.WriteAndShareTheHold(token, hold);
                    if (i == rounds - 1)
                    {
                        run.Free(token, tryOnly: false);
                    }
                }
                else if (task == 1)
                {
                    run.MisuseASharedReadCopy(read);
                    run.MisuseASharedCopy(hold);
                    if ((i & 1) == 0)
                    {
                        run.Replace(token, tryOnly: false);
                    }
                    else
                    {
                        run.Write(token, tryOnly: false);
                    }
                }
                else if ((i + task) % 2 == 0)
                {
                    run.Free(token, tryOnly: true);
                }
                else if (run.Parameters.DiagnosticMode)
                {
                    run.Read(token, tryOnly: false);
                }
                else
                {
                    run.CopyHeader(token);
                }
            }
        }).ConfigureAwait(false);
        run.Free(token, tryOnly: true);
    }
}

/// <summary>Concurrent construction: each task constructs a manager of its own (the process-wide identity counter is
/// shared by every construction) while the others use this run's manager, then uses the tokens the other tasks' managers
/// issued on this run's manager. Every identity must differ, and every token another manager issued must be refused
/// here (ForeignToken) and change nothing.</summary>
public sealed class ConcurrentConstructionScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "concurrent-construction";

    /// <inheritdoc />
    public override string Description => "managers constructed concurrently while the tasks use each other's tokens on the run's manager";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 1, Tasks: 2, Operations: 1);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(ScenarioRun run)
    {
        run.Store(tryOnly: false, out MessageToken ours);
        SharedCell<MessageToken>[] issued = [.. Enumerable.Range(0, run.Parameters.Tasks).Select(_ => run.NewCell<MessageToken>())];
        await run.RunTasksAsync(task =>
        {
            for (int i = 0; i < run.Parameters.Operations; i++)
            {
                issued[task].Write(run.ConstructAManagerAndStore(ours));
                for (int other = 0; other < issued.Length; other++)
                {
                    if (other != task && issued[other].Read() is MessageToken theirs)
                    {
                        run.Read(theirs, tryOnly: true);
                        run.Free(theirs, tryOnly: true);
                    }
                }

                run.Read(ours, tryOnly: true);
            }
        }).ConfigureAwait(false);
        run.Free(ours, tryOnly: false);
    }
}

/// <summary>Poisoning: the owner's write scope ends half way (as if by an exception), while others read,
/// copy headers and write the same token; the owner then replaces the message and frees it. Reads must get
/// Poisoned (never the half-written message) until the replace, writes too; the free works either way.</summary>
public sealed class PoisonedWritesScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "poisoned-writes";

    /// <inheritdoc />
    public override string Description => "a write scope ends without commit (poison) while others read, copy and write; the owner replaces";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 1, Tasks: 3, Operations: 2);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(ScenarioRun run)
    {
        run.Store(tryOnly: false, out MessageToken shared);
        await run.RunTasksAsync(task =>
        {
            for (int i = 0; i < run.Parameters.Operations; i++)
            {
                bool tryOnly = ((i + task) & 1) == 1;
                switch (task % 3)
                {
                    case 0:
                        if (i == 0)
                        {
                            run.Write(shared, tryOnly: false, abort: true);
                        }
                        else
                        {
                            run.Replace(shared, tryOnly);
                        }

                        break;
                    case 1:
                        run.Read(shared, tryOnly, headerOnly: (i & 1) == 1);
                        run.CopyHeader(shared);
                        break;
                    default:
                        if (i == 0)
                        {
                            run.Replace(shared, tryOnly); // most often on a healthy slot, among Try calls
                        }
                        else
                        {
                            run.Write(shared, tryOnly);
                        }

                        break;
                }
            }
        }).ConfigureAwait(false);
        run.Free(shared, tryOnly: false);
    }
}

/// <summary>Identity and epochs: the slot starts at the last generation of epoch 1, so the first Free
/// advances the epoch, while another task uses tokens that must all be refused: the freed one (stale),
/// one of the old epoch and one of a later epoch with the new generation's low bits (stale, never
/// issued), and another manager's (foreign).</summary>
public sealed class ForeignAndEpochTokensScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "foreign-and-epoch-tokens";

    /// <inheritdoc />
    public override string Description => "a Free crosses an epoch while stale, next-epoch and foreign tokens are used on the slot";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 1, Tasks: 2, Operations: 2, StartGeneration: (UInt128.One << Core.SlotWord.LowGenerationBits) + Core.SlotWord.MaxLowGeneration);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(ScenarioRun run)
    {
        run.Store(tryOnly: false, out MessageToken first);
        UInt128 next = first.Generation + 1;
        var laterEpoch = new MessageToken(first.Index, next + (UInt128.One << Core.SlotWord.LowGenerationBits), run.Manager.Id);
        var earlierEpoch = new MessageToken(first.Index, next - (UInt128.One << Core.SlotWord.LowGenerationBits), run.Manager.Id);
        var nextEpochLast = new MessageToken(first.Index, next + Core.SlotWord.MaxLowGeneration, run.Manager.Id); // never issued; low bits of the first
        var foreign = new MessageToken(first.Index, first.Generation, run.Manager.Id + 1);
        await run.RunTasksAsync(task =>
        {
            MessageToken mine = first;
            for (int i = 0; i < run.Parameters.Operations; i++)
            {
                if (task == 0)
                {
                    run.Free(mine, tryOnly: false);
                    if (run.Store(tryOnly: false, out mine) == MemoryError.None)
                    {
                        run.Read(mine, tryOnly: true);
                    }
                }
                else
                {
                    run.Read(laterEpoch, tryOnly: (i & 1) == 0);
                    run.Free(foreign, tryOnly: true);
                    run.Write(laterEpoch, tryOnly: true);
                    run.CopyHeader(laterEpoch);
                    run.Read(first, tryOnly: true);
                    run.Read(earlierEpoch, tryOnly: (i & 1) == 1);
                    run.Read(nextEpochLast, tryOnly: true);
                }
            }

            if (task == 0)
            {
                run.Free(mine, tryOnly: false);
            }
        }).ConfigureAwait(false);
    }
}

/// <summary>Optimistic copies against writes, and nothing else: one task writes the shared message (each
/// write in two halves with a scheduling point between), the other copies its header without a lock. The
/// smallest program in which a copy that overlaps a write can be accepted, so every mistake in the
/// copy's re-check or the writer's release order shows within a few hundred schedules.</summary>
public sealed class CopyVersusWriteScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "copy-vs-write";

    /// <inheritdoc />
    public override string Description => "lock-free header and whole-message copies race committed writes of the same message";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 1, Tasks: 2, Operations: 2);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(ScenarioRun run)
    {
        run.Store(tryOnly: false, out MessageToken shared);
        await run.RunTasksAsync(task =>
        {
            for (int i = 0; i < run.Parameters.Operations; i++)
            {
                if (task % 2 == 0)
                {
                    run.Write(shared, tryOnly: false);
                }
                else
                {
                    run.CopyHeader(shared); // two copies per write: more chances to overlap one
                    run.CopyMessage(shared);
                }
            }
        }).ConfigureAwait(false);
        run.Free(shared, tryOnly: false);
    }
}

/// <summary>Copies against a Free: lock-free header and message copies of a token while another task frees it and
/// stores the slot's next message. A copy that spans the Free and the Store must not hand the next message to the
/// freed token: the Free changes the generation in the word, which the copy's re-check compares (a Free and a Store
/// take no hold number, so the sequence alone would not see them).</summary>
public sealed class CopyVersusFreeScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "copy-vs-free";

    /// <inheritdoc />
    public override string Description => "lock-free header and message copies of a token racing its Free and the slot's next Store";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 1, Tasks: 2, Operations: 1);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(ScenarioRun run)
    {
        run.Store(tryOnly: false, out MessageToken first);
        SharedCell<MessageToken> stored = run.NewCell<MessageToken>();
        await run.RunTasksAsync(task =>
        {
            MessageToken token = first;
            for (int i = 0; i < run.Parameters.Operations; i++)
            {
                if (task == 0)
                {
                    run.Free(token, tryOnly: false);
                    if (run.Store(tryOnly: true, out token) == MemoryError.None)
                    {
                        stored.Write(token);
                    }
                }
                else
                {
                    run.CopyHeader(first);
                    run.CopyMessage(first);
                }
            }
        }).ConfigureAwait(false);
        if (stored.Read() is MessageToken last)
        {
            run.Free(last, tryOnly: false);
        }
    }
}

/// <summary>The epoch's wrap and nothing else: the slot starts at the last generation of epoch 1; one
/// task frees it (the Free crosses into epoch 2), stores and frees again, while the other uses the first
/// token and one of epoch 1 with the new generation's low bits: every refusal must be StaleToken, which
/// needs the slow path to read the epoch, the word and the epoch again around a Free changing both.</summary>
public sealed class EpochWrapScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "epoch-wrap";

    /// <inheritdoc />
    public override string Description => "a stale token is refused while a Free crosses an epoch";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 1, Tasks: 2, Operations: 3, StartGeneration: (UInt128.One << Core.SlotWord.LowGenerationBits) + Core.SlotWord.MaxLowGeneration);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(ScenarioRun run)
    {
        run.Store(tryOnly: false, out MessageToken first);
        await run.RunTasksAsync(task =>
        {
            if (task % 2 == 0)
            {
                run.Free(first, tryOnly: false);
                if (run.Store(tryOnly: true, out MessageToken next) == MemoryError.None)
                {
                    run.Free(next, tryOnly: false);
                }

                return;
            }

            // The old epoch with the low bits the Free is about to store: refused as stale only if the
            // refusal reads the epoch on both sides of the word.
            var olderEpoch = new MessageToken(first.Index, first.Generation + 1 - (UInt128.One << Core.SlotWord.LowGenerationBits), run.Manager.Id);
            for (int i = 0; i < run.Parameters.Operations; i++)
            {
                run.Read((i & 1) == 0 ? olderEpoch : first, tryOnly: true);
            }
        }).ConfigureAwait(false);
    }
}

/// <summary>The last generation: every slot starts one generation before the last (2^70 - 1), so the
/// owner's Free, Store and Free issue and end the last one and the slot retires (a later Store finds no free
/// slot), while another task reads and peeks with the last generation's token (never issued before the Store,
/// stale once its Free has completed, stale after retirement); then, alone, tokens nobody issued (generation 0, an index one past the
/// end, a real token's raw value with the spare bits above its index set: each BadToken) and the last one.</summary>
public sealed class LastGenerationScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "last-generation";

    /// <inheritdoc />
    public override string Description => "a slot issues and frees its last generation and retires, while its old tokens and made-up ones are used";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 1, Tasks: 2, Operations: 1, StartGeneration: Core.SlotWord.MaxGeneration - 1);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(ScenarioRun run)
    {
        run.Store(tryOnly: false, out MessageToken first);
        uint id = run.Manager.Id;
        var last = new MessageToken(first.Index, Core.SlotWord.MaxGeneration, id);
        MessageToken[] madeUp =
        [
            new(first.Index, lowGeneration: 0, epoch: 0, id),
            new(run.Parameters.Capacity, first.Generation, id),
            MessageToken.FromRawValue(first.RawValue | (UInt128.One << MessageToken.IndexBits)),
        ];
        await run.RunTasksAsync(task =>
        {
            if (task == 0)
            {
                run.Free(first, tryOnly: false);
                for (int i = 0; i < run.Parameters.Operations; i++)
                {
                    // At capacity 1: the last generation, then nothing (the slot has retired).
                    if (run.Store(tryOnly: true, out MessageToken mine) == MemoryError.None)
                    {
                        run.Free(mine, tryOnly: false);
                    }
                }

                return;
            }

            for (int i = 0; i < run.Parameters.Operations; i++)
            {
                run.Read(last, tryOnly: true, headerOnly: (i & 1) == 1);
            }
        }).ConfigureAwait(false);

        // Then, alone (no interleaving changes what a made-up token must get): the made-up tokens, the retired
        // slot's last token, and a Store that must find the slot retired at capacity 1 (the history says).
        foreach (MessageToken token in madeUp)
        {
            run.Read(token, tryOnly: true);
        }

        run.Free(last, tryOnly: true);
        if (run.Store(tryOnly: true, out MessageToken after) == MemoryError.None)
        {
            run.Free(after, tryOnly: false);
        }
    }
}

/// <summary>The reader limit: the slot starts one reader short of it (2^21 - 2 read borrows no guard holds,
/// added by the set-up), so the tasks' reads and header peeks race for the last place: a Try-read that finds the
/// slot full gets ReaderLimit, a blocking one waits for a reader to leave, and a TryFree gets BorrowActive. The
/// phantom readers leave at the end and the owner frees the message.</summary>
public sealed class ReaderLimitScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "reader-limit";

    /// <inheritdoc />
    public override string Description => "reads race for the last reader place of a slot one reader short of the limit";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 1, Tasks: 2, Operations: 2);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(ScenarioRun run)
    {
        run.Store(tryOnly: false, out MessageToken token);
        int phantoms = (int)Core.SlotWord.MaxReaders - 1;
        run.PhantomReaders(token, phantoms);
        await run.RunTasksAsync(task =>
        {
            for (int i = 0; i < run.Parameters.Operations; i++)
            {
                switch ((task + i) % 4)
                {
                    case 0:
                        run.Read(token, tryOnly: true);
                        break;
                    case 1:
                        run.Read(token, tryOnly: true, headerOnly: true);
                        break;
                    case 2:
                        run.Read(token, tryOnly: false); // waits while the slot is full
                        break;
                    default:
                        run.Free(token, tryOnly: true); // BorrowActive: the phantoms hold the slot
                        break;
                }
            }
        }).ConfigureAwait(false);
        run.PhantomReaders(token, -phantoms);
        run.Free(token, tryOnly: false);
    }
}

/// <summary>The sharded free-list: three slots on two shards (slots 0 and 1 at home on shard 0, slot 2 on
/// shard 1), one slot held for the whole run, while the other tasks store (each store starting at a shard the
/// scheduler chooses) and free (each slot back to its home shard). A store whose own shard is empty must
/// steal from the other; a store must not report NoFreeSlots while some slot was free at every instant of
/// its scan (a slot freed into the shard it already scanned while another is taken from the shard it scans
/// next: the double collect); each shard's count must stay within range and match its list at the end.</summary>
public sealed class ShardedFreeListScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "sharded-free-list";

    /// <inheritdoc />
    public override string Description => "stores steal across free-list shards while frees return slots to their home shards";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 3, Tasks: 3, Operations: 2, Shards: 2);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(ScenarioRun run)
    {
        run.Store(tryOnly: false, out MessageToken held); // one slot stays taken: the others are scarce
        await run.RunTasksAsync(task =>
        {
            for (int i = 0; i < run.Parameters.Operations; i++)
            {
                // TryStore: a refusal is only right when every slot was taken at one instant (linearizability).
                if (run.Store(tryOnly: true, out MessageToken token) == MemoryError.None)
                {
                    if ((task + i) % 2 == 0)
                    {
                        run.Read(token, tryOnly: true);
                    }

                    run.Free(token, tryOnly: (task & 1) == 0);
                }
            }
        }).ConfigureAwait(false);
        run.Free(held, tryOnly: false);
    }
}

/// <summary>The narrow-tag wraparound in the fewest operations, for the model checker: task 0 is the
/// victim (one store, one free: one pop that may be paused between reading the head and its CAS); task 1
/// takes every slot, returns the first (the victim's top comes back with another link while the victim's
/// next slot is held), then stores and frees one slot for Operations - 1 rounds, two head CASes each, and
/// returns the rest. The head is back at the victim's (top, tag) after Capacity + 1 + 2 (rounds - 1) CASes:
/// with 3 slots, a 1- or 2-bit tag wraps in one round, a 3-bit tag in three.</summary>
public sealed class AbaWindowScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "aba-window";

    /// <inheritdoc />
    public override string Description => "one paused pop while the other task empties the list, returns its top and churns: the shortest wraparound";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 3, Tasks: 2, Operations: 1);

    /// <inheritdoc />
    protected override Task ExecuteAsync(ScenarioRun run) => run.RunTasksAsync(task =>
    {
        if (task != 1)
        {
            run.StoreBatchThenFree(1, alternateStoreKinds: false, tryFree: true);
            return;
        }

        var held = new List<MessageToken>(run.Parameters.Capacity);
        for (int i = 0; i < run.Parameters.Capacity; i++)
        {
            if (run.Store(tryOnly: true, out MessageToken token) == MemoryError.None)
            {
                held.Add(token);
            }
        }

        if (held.Count > 0)
        {
            run.Free(held[0], tryOnly: true);
            held.RemoveAt(0);
        }

        for (int round = 1; round < run.Parameters.Operations; round++)
        {
            if (run.Store(tryOnly: true, out MessageToken token) == MemoryError.None)
            {
                run.Free(token, tryOnly: true);
            }
        }

        foreach (MessageToken token in held)
        {
            run.Free(token, tryOnly: true);
        }
    });
}

/// <summary>The double collect in the fewest operations, for the model checker: the set-up takes all slots
/// but one (each store at a shard the exploration chooses); task 0 stores (one scan of the shards); task 1
/// frees the first slot the set-up took and stores again. When the free lands in a shard task 0's scan has
/// passed and the second store takes the last slot of the shard it scans next, some slot was free at every
/// instant of the scan: NoFreeSlots would be wrong. Every Operations-th round repeats it (1: once).</summary>
public sealed class StealWindowScenario : Scenario
{
    /// <inheritdoc />
    public override string Name => "steal-window";

    /// <inheritdoc />
    public override string Description => "a store scans the shards while a slot moves from the shard it scans next to one it has passed";

    /// <inheritdoc />
    public override ScenarioParameters Defaults => new(Capacity: 3, Tasks: 2, Operations: 1, Shards: 2);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(ScenarioRun run)
    {
        var held = new List<MessageToken>(run.Parameters.Capacity);
        for (int i = 0; i < run.Parameters.Capacity - 1; i++)
        {
            if (run.Store(tryOnly: true, out MessageToken token) == MemoryError.None)
            {
                held.Add(token);
            }
        }

        MessageToken[] taken = new MessageToken[run.Parameters.Tasks];
        await run.RunTasksAsync(task =>
        {
            for (int round = 0; round < run.Parameters.Operations; round++)
            {
                if (task == 1 && round == 0 && held.Count > 0)
                {
                    run.Free(held[0], tryOnly: true);
                }

                if (run.Store(tryOnly: true, out MessageToken token) == MemoryError.None)
                {
                    if (round + 1 < run.Parameters.Operations)
                    {
                        run.Free(token, tryOnly: true);
                    }
                    else
                    {
                        taken[task] = token;
                    }
                }
            }
        }).ConfigureAwait(false);

        foreach (MessageToken token in held.Skip(1).Concat(taken.Where(t => t != default)))
        {
            run.Free(token, tryOnly: false);
        }
    }
}
