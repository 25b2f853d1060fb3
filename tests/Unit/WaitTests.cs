using ManagerVerified.Core;
using ManagerVerified.Seam;

namespace ManagerVerified.Tests.Unit;

/// <summary>
/// Waiting keeps its limits (issue 25): a timed or cancellable wait asks its limit on every round, so a word that
/// keeps changing cannot hold it past its deadline; time is the manager's <see cref="TimeProvider"/>, in its own unit;
/// a conflict that ends before the deadline is waited out; a blocking read at the reader limit waits for a place; no
/// Try call waits for another thread, not even while a Free crosses an epoch. Time is a controlled input everywhere:
/// a scripted seam churns the word on every round, a manual clock moves only when told, a ticking clock moves only
/// when read. Nothing sleeps and nothing measures real time.
/// </summary>
public sealed class WaitTests
{
    private const int ChurnRounds = 10_000;

    private static SlotManager<long, ScriptedSeam> Core(WaitScript script) =>
        new(1, MemoryClass.Host, new ScriptedSeam(script), HeadLayout.ForCapacity(1), startTag: 0, startGeneration: SlotWord.FirstGeneration);

    /// <summary>A wait that time passes in (the first round: past the deadline), whose word then changes on every round
    /// with the slot still busy (<paramref name="churn"/>), until, after <see cref="ChurnRounds"/> rounds, the conflict
    /// ends (<paramref name="end"/>): a call that asks its limit only while the word stays unchanged gets the slot.</summary>
    private static WaitScript Churn(ManualTime time, Func<long, long> churn, Func<long, long> end, Action? firstRound = null)
    {
        WaitScript script = null!;
        script = new WaitScript
        {
            Wait = (words, index, _, _) =>
            {
                if (script.Waits == 1)
                {
                    time.Advance(TimeSpan.FromSeconds(6));
                    firstRound?.Invoke();
                }

                words[index] = script.Waits < ChurnRounds ? churn(words[index]) : end(words[index]);
                return true; // the word changed
            },
        };
        return script;
    }

    // Another reader enters or leaves: one or two readers in the way, never none.
    private static long ReadersComeAndGo(long word) => (word & SlotWord.ReaderMask) == 1 ? word + 1 : word - 1;

    private static long ReadersLeave(long word) => word & ~SlotWord.ReaderMask;

    [Fact]
    public void BlockedWriter_UnderChurn_TimesOutAtItsDeadline_NotWhenTheChurnEnds()
    {
        var time = new ManualTime();
        WaitScript script = Churn(time, ReadersComeAndGo, ReadersLeave);
        SlotManager<long, ScriptedSeam> core = Core(script);
        core.Store(TestMessages.Of(1), out MessageToken token);
        core.SlotWordAt(0) += 1; // a reader in the way

        MemoryError error = core.Write(token, WaitLimit.For(TimeSpan.FromSeconds(5), time, CancellationToken.None), out _);

        Assert.Equal((MemoryError.Timeout, 1), (error, script.Waits)); // the round after the deadline passed
    }

    [Fact]
    public void BlockedReader_UnderChurn_TimesOutAtItsDeadline_NotWhenTheChurnEnds()
    {
        var time = new ManualTime();
        WaitScript script = Churn(time, w => w ^ SlotWord.CommittedBit, w => w & ~(SlotWord.WriterBit | SlotWord.CommittedBit));
        SlotManager<long, ScriptedSeam> core = Core(script);
        core.Store(TestMessages.Of(1), out MessageToken token);
        core.SlotWordAt(0) |= SlotWord.WriterBit; // a writer in the way, committing and un-committing

        MemoryError error = core.Read(token, WaitLimit.For(TimeSpan.FromSeconds(5), time, CancellationToken.None), out _);

        Assert.Equal((MemoryError.Timeout, 1), (error, script.Waits));
    }

    [Fact]
    public void BlockedFree_UnderChurn_IsCancelledOnTheNextRound()
    {
        var time = new ManualTime();
        using var cancellation = new CancellationTokenSource();
        WaitScript script = Churn(time, ReadersComeAndGo, ReadersLeave, cancellation.Cancel);
        SlotManager<long, ScriptedSeam> core = Core(script);
        core.Store(TestMessages.Of(1), out MessageToken token);
        core.SlotWordAt(0) += 1;
        long word = core.SlotWordAt(0);

        Assert.Throws<OperationCanceledException>(() => core.Free(token, WaitLimit.Until(cancellation.Token)));
        Assert.Equal(1, script.Waits);
        Assert.Equal(SlotWord.LiveBit, core.SlotWordAt(0) & (SlotWord.LiveBit | SlotWord.WriterBit)); // taken nothing
        Assert.Equal(word & ~SlotWord.ReaderMask, core.SlotWordAt(0) & ~SlotWord.ReaderMask);
    }

    [Fact]
    public void ZeroTimeout_GivesUpAtOnce_WhateverTheClockReads()
    {
        // A clock at 0: the deadline of a zero timeout is 0, which has come (found by review: a deadline clamped to 1
        // never came on such a clock, and the call waited for the conflict to end).
        var time = new ManualTime();
        WaitScript script = null!;
        script = new WaitScript
        {
            Wait = (words, index, _, _) =>
            {
                if (script.Waits == 100)
                {
                    words[index] &= ~SlotWord.WriterBit; // the writer leaves: a call still waiting then gets the slot
                }

                return true;
            },
        };
        SlotManager<long, ScriptedSeam> core = Core(script);
        core.Store(TestMessages.Of(1), out MessageToken token);
        core.SlotWordAt(0) |= SlotWord.WriterBit;

        Assert.Equal(MemoryError.Timeout, core.Read(token, WaitLimit.For(TimeSpan.Zero, time, CancellationToken.None), out _));
        Assert.Equal(0, script.Waits);
    }

    public static TheoryData<string> TimedMembers => ["TryRead", "TryPeekHeader", "TryWrite", "TryReplace", "TryFree"];

    /// <summary>Runs the timed member <paramref name="member"/> with <paramref name="timeout"/> against a conflict this
    /// thread holds (a write guard for the reads, a read guard for the rest), so it waits its whole timeout out.</summary>
    private static MemoryError TimedCall(ConcurrentMemoryManager<long> manager, MessageToken token, string member, TimeSpan timeout)
    {
        bool reads = member is "TryRead" or "TryPeekHeader";
        WriteGuard<long> writer = reads ? manager.Write(token) : default;
        ReadGuard<long> reader = reads ? default : manager.Read(token);
        MemoryError error;
        try
        {
            _ = member switch
            {
                "TryRead" => manager.TryRead(token, timeout, out _, out error),
                "TryPeekHeader" => manager.TryPeekHeader(token, timeout, out _, out error),
                "TryWrite" => manager.TryWrite(token, timeout, out _, out error),
                "TryReplace" => manager.TryReplace(token, TestMessages.Of(9), timeout, out error),
                _ => manager.TryFree(token, timeout, out error),
            };
        }
        finally
        {
            if (reads)
            {
                writer.Commit();
                writer.Dispose();
            }
            else
            {
                reader.Dispose();
            }
        }

        return error;
    }

    [Theory]
    [MemberData(nameof(TimedMembers))]
    public void Timeout_IsMeasuredOnTheManagersClock_InItsOwnUnit(string member)
    {
        // Each read of this clock moves it 1 ms: the wait gives up 200 ms (of this clock) after the call, within a few
        // reads (counted in milliseconds of seconds, it would wait 200 s).
        var time = new TickingTime();
        var manager = new ConcurrentMemoryManager<long>(1, new ConcurrentMemoryManagerOptions { TimeProvider = time });
        MessageToken token = manager.Store(TestMessages.Of(1));
        TimeSpan before = time.Now;

        MemoryError error = TimedCall(manager, token, member, TimeSpan.FromMilliseconds(200));

        Assert.Equal(MemoryError.Timeout, error);
        Assert.InRange(time.Now - before, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(200) + (20 * TickingTime.Step));
        Assert.True(manager.TryFree(token, out _)); // nothing was taken
    }

    [Theory]
    [MemberData(nameof(TimedMembers))]
    public void ConflictEndingBeforeTheDeadline_IsWaitedOut(string member)
    {
        var time = new ManualTime();
        var manager = new ConcurrentMemoryManager<long>(1, new ConcurrentMemoryManagerOptions { TimeProvider = time });
        MessageToken token = manager.Store(TestMessages.Of(1));
        bool reads = member is "TryRead" or "TryPeekHeader";
        WriteGuard<long> writer = reads ? manager.Write(token) : default;
        ReadGuard<long> reader = reads ? default : manager.Read(token);
        MemoryError error = MemoryError.None;
        var waiter = new Thread(() =>
        {
            TimeSpan timeout = TimeSpan.FromSeconds(5);
            bool ok = member switch
            {
                "TryRead" => Release(manager.TryRead(token, timeout, out ReadGuard<long> r, out error), ref r),
                "TryPeekHeader" => Release(manager.TryPeekHeader(token, timeout, out HeaderGuard h, out error), ref h),
                "TryWrite" => Release(manager.TryWrite(token, timeout, out WriteGuard<long> w, out error), ref w),
                "TryReplace" => manager.TryReplace(token, TestMessages.Of(9), timeout, out error),
                _ => manager.TryFree(token, timeout, out error),
            };
        });

        long reads0 = time.Reads;
        waiter.Start();
        SpinWait.SpinUntil(() => time.Reads >= reads0 + 2 || !waiter.IsAlive); // it waits, looking at the clock
        time.Advance(TimeSpan.FromSeconds(4.9));
        long reads1 = time.Reads;
        SpinWait.SpinUntil(() => time.Reads >= reads1 + 2 || !waiter.IsAlive); // it saw 4.9 s pass
        if (reads)
        {
            writer.Commit();
            writer.Dispose();
        }
        else
        {
            reader.Dispose();
        }

        waiter.Join();
        Assert.Equal(MemoryError.None, error);
    }

    private static bool Release(bool acquired, ref ReadGuard<long> guard)
    {
        if (acquired)
        {
            guard.Dispose();
        }

        return acquired;
    }

    private static bool Release(bool acquired, ref HeaderGuard guard)
    {
        if (acquired)
        {
            guard.Dispose();
        }

        return acquired;
    }

    private static bool Release(bool acquired, ref WriteGuard<long> guard)
    {
        if (acquired)
        {
            guard.Commit();
            guard.Dispose();
        }

        return acquired;
    }

    [Fact]
    public void ReadAtTheReaderLimit_TryIsRefused_TimedGivesUp_BlockingWaitsForAPlace()
    {
        using var waiting = new ManualResetEventSlim();
        SlotManager<long, ScriptedSeam> core = Core(new WaitScript { BeforeWait = waiting.Set });
        core.Store(TestMessages.Of(4), out MessageToken token);
        core.SlotWordAt(0) += SlotWord.MaxReaders; // every place taken (no guard holds them)

        Assert.Equal(MemoryError.ReaderLimit, core.Read(token, WaitLimit.None, out _));
        var time = new TickingTime();
        Assert.Equal(MemoryError.Timeout, core.Read(token, WaitLimit.For(TimeSpan.FromMilliseconds(50), time, CancellationToken.None), out _));
        waiting.Reset();

        MemoryError blocking = MemoryError.BadToken;
        long seen = 0;
        var reader = new Thread(() =>
        {
            blocking = core.Read(token, WaitLimit.Forever, out ReadGuard<long> guard);
            if (blocking == MemoryError.None)
            {
                seen = guard.Value.Payload;
                guard.Dispose();
            }
        });
        reader.Start();
        waiting.Wait(); // it is about to wait: no place is free, and nothing but this test frees one
        Assert.True(reader.IsAlive);
        Interlocked.Add(ref core.SlotWordAt(0), -1); // one reader leaves
        reader.Join();

        Assert.Equal((MemoryError.None, 4L), (blocking, seen));
        Assert.Equal(SlotWord.MaxReaders - 1, core.SlotWordAt(0) & SlotWord.ReaderMask);
    }

    public static TheoryData<string> CancellableMembers =>
        ["Read", "PeekHeader", "Write", "Replace", "Free", "TryRead", "TryPeekHeader", "TryWrite", "TryReplace", "TryFree"];

    private static void CancellableCall(ConcurrentMemoryManager<long> manager, MessageToken token, string member, CancellationToken cancellation)
    {
        TimeSpan hour = TimeSpan.FromHours(1); // on the manual clock: never, unless the test moves it
        switch (member)
        {
            case "Read":
                using (ReadGuard<long> guard = manager.Read(token, cancellation))
                {
                }

                break;
            case "PeekHeader":
                using (HeaderGuard guard = manager.PeekHeader(token, cancellation))
                {
                }

                break;
            case "Write":
                using (WriteGuard<long> guard = manager.Write(token, cancellation))
                {
                    guard.Commit();
                }

                break;
            case "Replace": manager.Replace(token, TestMessages.Of(9), cancellation); break;
            case "Free": manager.Free(token, cancellation); break;
            case "TryRead": Release(manager.TryRead(token, hour, out ReadGuard<long> r, out _, cancellation), ref r); break;
            case "TryPeekHeader": Release(manager.TryPeekHeader(token, hour, out HeaderGuard h, out _, cancellation), ref h); break;
            case "TryWrite": Release(manager.TryWrite(token, hour, out WriteGuard<long> w, out _, cancellation), ref w); break;
            case "TryReplace": manager.TryReplace(token, TestMessages.Of(9), hour, out _, cancellation); break;
            default: manager.TryFree(token, hour, out _, cancellation); break;
        }
    }

    [Theory]
    [MemberData(nameof(CancellableMembers))]
    public void EveryMemberThatTakesAToken_CancelledBeforeOrWhileWaiting_ThrowsAndChangesNothing(string member)
    {
        var time = new ManualTime();
        var manager = new ConcurrentMemoryManager<long>(1, new ConcurrentMemoryManagerOptions { TimeProvider = time });
        MessageToken token = manager.Store(TestMessages.Of(5));
        bool reads = member.EndsWith("Read", StringComparison.Ordinal) || member.EndsWith("PeekHeader", StringComparison.Ordinal);
        WriteGuard<long> writer = reads ? manager.Write(token) : default;
        ReadGuard<long> reader = reads ? default : manager.Read(token);
        long word = manager.Core.SlotWordAt(0);

        // Cancelled before the call: the first round of the wait throws.
        using (var cancelled = new CancellationTokenSource())
        {
            cancelled.Cancel();
            Assert.Throws<OperationCanceledException>(() => CancellableCall(manager, token, member, cancelled.Token));
        }

        // Cancelled from another thread while the call waits (a timed member is seen waiting on the clock).
        using (var source = new CancellationTokenSource())
        {
            Exception? thrown = null;
            var waiter = new Thread(() => thrown = Record.Exception(() => CancellableCall(manager, token, member, source.Token)));
            long reads0 = time.Reads;
            waiter.Start();
            if (member.StartsWith("Try", StringComparison.Ordinal))
            {
                SpinWait.SpinUntil(() => time.Reads >= reads0 + 2 || !waiter.IsAlive);
            }

            source.Cancel();
            waiter.Join();
            Assert.IsType<OperationCanceledException>(thrown);
        }

        Assert.Equal(word, manager.Core.SlotWordAt(0));
        if (reads)
        {
            writer.Commit();
            writer.Dispose();
        }
        else
        {
            reader.Dispose();
        }

        Assert.True(manager.TryFree(token, out _));
    }

    [Fact]
    public void TryCalls_WhileAFreeCrossesAnEpoch_AnswerWithoutWaiting()
    {
        // A Free of the last low generation of epoch 1 is between its epoch's two stores (the epoch marked wrapping):
        // first still holding the old word, then having stored the next epoch's first. A Try call must not wait for it.
        SlotManager<long, ScriptedSeam> core = Core(new WaitScript { Wait = (_, _, _, _) => throw new InvalidOperationException("a Try call waited") });
        var freed = new MessageToken(0, SlotWord.Join(1, SlotWord.MaxLowGeneration), core.Id);
        var next = new MessageToken(0, SlotWord.Join(2, 0), core.Id);
        core.EpochAt(0) = (1L << 1) | 1;
        core.SlotWordAt(0) = SlotWord.Pack(SlotWord.MaxLowGeneration, live: true, retired: false, writer: true, readers: 0).Value;

        Assert.Equal(MemoryError.AlreadyBorrowed, core.Read(freed, WaitLimit.None, out _));
        Assert.Equal(MemoryError.BorrowActive, core.Free(freed, WaitLimit.None));
        Assert.Equal(MemoryError.AlreadyBorrowed, core.CopyHeader(freed, out _));
        Assert.Equal(MemoryError.BadToken, core.Read(next, WaitLimit.None, out _));

        core.SlotWordAt(0) = SlotWord.Pack(0, live: false, retired: false, writer: false, readers: 0).Value;

        Assert.Equal(MemoryError.StaleToken, core.Read(freed, WaitLimit.None, out _));
        Assert.Equal(MemoryError.NotAllocated, core.Free(freed, WaitLimit.None));
        Assert.Equal(MemoryError.StaleToken, core.CopyHeader(freed, out _));
        Assert.Equal(MemoryError.BadToken, core.Read(next, WaitLimit.None, out _));
        Assert.Equal(MemoryError.BadToken, core.Write(next, WaitLimit.None, out _));
    }
}
