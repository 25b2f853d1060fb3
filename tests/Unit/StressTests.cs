using ManagerVerified.Seam;
using ManagerVerified.Core;
using ManagerVerified.Verification;
using ManagerVerified.Harness.Checking;
using ManagerVerified.Spec.Checking;
using ManagerVerified.Spec.Monitors;

namespace ManagerVerified.Tests.Unit;

/// <summary>
/// Real threads, started together on a <see cref="Barrier"/>, each running a bounded number of
/// operations (no time limit, no sleeps). Asserts only what holds under every interleaving, and runs
/// the specification monitors (the same objects Coyote runs) through the checked seam.
/// </summary>
public sealed class StressTests
{
    private const int Threads = 4;
    private const int Rounds = 3_000;
    private const int Capacity = 8;

    [Fact]
    public void Stress_CheckedSeamWithMonitors_NoViolation()
    {
        var sink = new RecordingViolationSink();
        var context = new VerificationContext(ThreadScheduler.Instance, sink, Capacity);
        var manager = VerificationManagers.Create<CheckedPayload, CheckedSeam>(Capacity, new CheckedSeam(context), shards: 4);
        context.Shards = manager.Shards; // every operation picks a random shard: steals and migrations between shards
        context.ManagerCreated(manager.SnapshotQuiescent());
        RunWorkload(manager, context, sink);
        context.CheckQuiescent(manager.SnapshotQuiescent());
        Assert.Empty(sink.Violations);
    }

    [Fact]
    public void Stress_ProductionSeam_HoldsObservableInvariants()
    {
        var manager = new ConcurrentMemoryManager<CheckedPayload>(Capacity, new ConcurrentMemoryManagerOptions { FreeListShards = 4 });
        var sink = new RecordingViolationSink();
        RunWorkload(manager.Core, context: null, sink);
        Assert.Empty(sink.Violations);
    }

    /// <summary>
    /// Each thread: stores messages whose payload carries a checksum and an owner id, reads them back,
    /// writes new versions, frees them; readers race on tokens shared between threads; freed tokens are
    /// reused as stale probes. Failures go to <paramref name="sink"/>.
    /// </summary>
    private static void RunWorkload<TSeam>(SlotManager<CheckedPayload, TSeam> manager, VerificationContext? context, RecordingViolationSink sink)
        where TSeam : struct, IConcurrencySeam
    {
        var shared = new object?[Threads]; // boxed tokens: one reference, written and read whole
        var owners = new System.Collections.Concurrent.ConcurrentDictionary<MessageToken, long>();
        var liveTokens = new System.Collections.Concurrent.ConcurrentDictionary<MessageToken, int>();
        using var barrier = new Barrier(Threads);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        long nextOwner = 0;

        void Check(bool ok, SpecProperty property, string message)
        {
            if (!ok)
            {
                sink.Report(property, message);
            }
        }

        void Observe(MessageToken token, in Message<CheckedPayload> message)
        {
            string? damage = CheckedPayload.DescribeDamage(message);
            Check(damage is null, SpecProperty.ReadWriteExclusion, $"torn read of {token}: {damage}");
            Check(!owners.TryGetValue(token, out long owner) || owner == message.Payload.Owner, SpecProperty.StaleToken, $"{token} reached owner {message.Payload.Owner}'s message");
            if (context is not null)
            {
                context.MessageObserved(token, owners.GetValueOrDefault(token, -1), message);
            }
        }

        var threads = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int id = t;
            threads[t] = new Thread(() =>
            {
                try
                {
                    var random = new Random(1000 + id);
                    var stale = new List<MessageToken>();
                    barrier.SignalAndWait();
                    for (int round = 0; round < Rounds; round++)
                    {
                        long owner = Interlocked.Increment(ref nextOwner);
                        MemoryError error = manager.Store(CheckedPayload.Create(owner, 0), out MessageToken token);
                        if (error != MemoryError.None)
                        {
                            Check(error == MemoryError.NoFreeSlots, SpecProperty.StoreCompleteness, $"TryStore failed with {error}");
                        }
                        else
                        {
                            owners[token] = owner;
                            Check(liveTokens.TryAdd(token, id), SpecProperty.NoDoubleAllocation, $"{token} handed out twice while live");
                            Volatile.Write(ref shared[id], token);

                            Check(manager.Read(token, WaitLimit.Forever, out ReadGuard<CheckedPayload> g) == MemoryError.None, SpecProperty.StaleToken, $"read of live {token} refused");
                            try
                            {
                                Observe(token, g.Value);
                                Check(g.Value.Payload.Owner == owner, SpecProperty.StaleToken, $"read back owner {g.Value.Payload.Owner}, stored {owner}");
                            }
                            finally
                            {
                                g.Dispose();
                            }

                            Check(manager.Write(token, WaitLimit.Forever, out WriteGuard<CheckedPayload> w) == MemoryError.None, SpecProperty.StaleToken, $"write of live {token} refused");
                            try
                            {
                                Observe(token, w.Value);
                                w.Value = CheckedPayload.Create(owner, w.Value.Payload.Version + 1);
                                w.Commit();
                            }
                            finally
                            {
                                w.Dispose();
                            }
                        }

                        // Race a reader on another thread's shared token.
                        MessageToken other = Volatile.Read(ref shared[random.Next(Threads)]) is MessageToken t ? t : default;
                        if (other != default)
                        {
                            MemoryError readError = manager.Read(other, WaitLimit.None, out ReadGuard<CheckedPayload> r);
                            if (readError == MemoryError.None)
                            {
                                try
                                {
                                    Observe(other, r.Value);
                                }
                                finally
                                {
                                    r.Dispose();
                                }
                            }
                            else
                            {
                                Check(readError is MemoryError.StaleToken or MemoryError.AlreadyBorrowed, SpecProperty.StaleToken, $"racing read of {other} got {readError}");
                            }
                        }

                        // A token this thread freed earlier must only ever be stale.
                        if (stale.Count > 0)
                        {
                            MessageToken old = stale[random.Next(stale.Count)];
                            MemoryError staleError = manager.Read(old, WaitLimit.None, out _);
                            Check(staleError == MemoryError.StaleToken, SpecProperty.StaleToken, $"stale {old} read returned {staleError}");
                            MemoryError freeError = manager.Free(old, WaitLimit.None);
                            Check(freeError == MemoryError.NotAllocated, SpecProperty.StaleToken, $"stale {old} free returned {freeError}");
                        }

                        if (error == MemoryError.None)
                        {
                            Check(liveTokens.TryRemove(token, out _), SpecProperty.NoDoubleAllocation, $"{token} vanished from the live set");
                            Check(manager.Free(token, WaitLimit.Forever) == MemoryError.None, SpecProperty.StaleToken, $"free of live {token} refused");
                            context?.TokenOperation(OperationKind.Free, token, false, MemoryError.None);
                            if (stale.Count < 64)
                            {
                                stale.Add(token);
                            }
                        }
                    }
                }
                catch (Exception e)
                {
                    failures.Enqueue(e);
                    barrier.RemoveParticipant();
                }
            });
            threads[t].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.Empty(failures);
        Assert.Equal(manager.Capacity, manager.Available);
        Assert.Empty(liveTokens);
    }
}
