using System.Runtime.CompilerServices;
using ManagerVerified.Core;
using ManagerVerified.Diagnostics;
using ManagerVerified.Seam;
using ManagerVerified.Verification;

namespace ManagerVerified.Tests.Unit;

/// <summary>Issue 12's rows 3-6b: generations across an epoch, manager identity, and diagnostic mode's
/// report of guards held too long (docs/reliability.md).</summary>
public sealed class ReliabilityTests
{
    private static readonly UInt128 Epoch = UInt128.One << SlotWord.LowGenerationBits;

    [Fact]
    public void ForeignToken_EveryOperation_RefusedAndNothingChanges()
    {
        var oneList = new ConcurrentMemoryManagerOptions { FreeListShards = 1 }; // the same first slot in both, on any core
        var a = new ConcurrentMemoryManager<long>(2, oneList);
        var b = new ConcurrentMemoryManager<long>(2, oneList);
        MessageToken fromA = a.Store(TestMessages.Of(1));
        MessageToken fromB = b.Store(TestMessages.Of(2)); // the same slot and generation in b
        Assert.Equal((fromA.Index, fromA.Generation), (fromB.Index, fromB.Generation));
        Assert.NotEqual(fromA, fromB);
        long[] words = b.Core.CopySlotWords();

        Assert.False(b.TryRead(fromA, out _, out MemoryError read));
        Assert.False(b.TryPeekHeader(fromA, out _, out MemoryError peek));
        Assert.False(b.TryWrite(fromA, out _, out MemoryError write));
        Assert.False(b.TryCopyHeader(fromA, out _, out MemoryError copy));
        Assert.False(b.TryReplace(fromA, TestMessages.Of(9), out MemoryError replace));
        Assert.False(b.TryFree(fromA, out MemoryError free));
        Assert.All(new[] { read, peek, write, copy, replace, free }, e => Assert.Equal(MemoryError.ForeignToken, e));
        Assert.Equal(MemoryError.ForeignToken, Assert.Throws<MemoryManagerException>(() => b.Free(fromA)).Error);

        Assert.Equal(words, b.Core.CopySlotWords());
        Assert.Equal(1, b.Available);
        using ReadGuard<long> mine = b.Read(fromB);
        Assert.Equal(2, mine.Value.Payload);
    }

    [Fact]
    public void ForeignToken_ThroughItsRawValue_StillForeign_AndDefaultIsBad()
    {
        var a = new ConcurrentMemoryManager<long>(1);
        var b = new ConcurrentMemoryManager<long>(1);
        MessageToken token = MessageToken.FromRawValue(a.Store(TestMessages.Of(1)).RawValue);
        Assert.False(b.TryRead(token, out _, out MemoryError error));
        Assert.Equal(MemoryError.ForeignToken, error);
        Assert.False(b.TryRead(default, out _, out error));
        Assert.Equal(MemoryError.BadToken, error);
        Assert.True(a.TryFree(token, out _));
    }

    [Fact]
    public void MadeUpRawValue_WithTheSpareBitsSet_IsNoAliasOfARealToken()
    {
        var manager = new ConcurrentMemoryManager<long>(2);
        MessageToken real = manager.Store(TestMessages.Of(1));
        foreach (int spare in new[] { 1, 2, 3 })
        {
            MessageToken alias = MessageToken.FromRawValue(real.RawValue | ((UInt128)(uint)spare << MessageToken.IndexBits));
            Assert.NotEqual(real, alias);
            Assert.False(manager.TryRead(alias, out _, out MemoryError read));
            Assert.False(manager.TryFree(alias, out MemoryError free));
            Assert.Equal((MemoryError.BadToken, MemoryError.BadToken), (read, free));
        }

        Assert.True(manager.TryFree(real, out _));
    }

    [Fact]
    public void ForeignToken_InDiagnosticMode_NamesBothManagers()
    {
        var a = new ConcurrentMemoryManager<long>(1);
        using var b = new ConcurrentMemoryManager<long>(1, new ConcurrentMemoryManagerOptions { DiagnosticMode = true });
        MessageToken fromA = a.Store(TestMessages.Of(1));
        var events = new List<ManagerDiagnosticEventArgs>();
        b.Diagnostic += (_, e) => events.Add(e);
        var thrown = Assert.Throws<MemoryManagerException>(() => b.Free(fromA));
        Assert.Equal(MemoryError.ForeignToken, thrown.Error);
        Assert.Contains($"manager {a.Core.Id}", thrown.Message);
        Assert.Equal(MemoryError.ForeignToken, Assert.Single(events).Error);
    }

    [Fact]
    public void Generation_CrossesAnEpoch_TokensOfEitherSideRefused()
    {
        // The slot starts at the last generation of epoch 1: the first Free moves it to epoch 2, low 0.
        UInt128 start = Epoch + SlotWord.MaxLowGeneration;
        var manager = VerificationManagers.Public(VerificationManagers.Create<long, ProductionSeam>(1, default, startGeneration: start));
        MessageToken first = manager.Store(TestMessages.Of(1));
        Assert.Equal((start, 1u, SlotWord.MaxLowGeneration), (first.Generation, first.Epoch, first.LowGeneration));
        manager.Free(first);

        MessageToken second = manager.Store(TestMessages.Of(2));
        Assert.Equal((start + 1, 2u, 0UL), (second.Generation, second.Epoch, second.LowGeneration));
        Assert.Equal(2L << 1, manager.Core.EpochAt(0)); // even: not wrapping

        // Same low bits as the live generation, other epochs: one older (stale), one never issued (bad).
        var olderEpoch = new MessageToken(0, second.Generation - Epoch, manager.Core.Id);
        var laterEpoch = new MessageToken(0, second.Generation + Epoch, manager.Core.Id);
        Assert.Equal(second.LowGeneration, olderEpoch.LowGeneration);
        long word = manager.Core.SlotWordAt(0);
        Assert.Equal(MemoryError.StaleToken, ReadError(manager, olderEpoch));
        Assert.Equal(MemoryError.BadToken, ReadError(manager, laterEpoch));
        Assert.Equal(MemoryError.StaleToken, ReadError(manager, first));
        Assert.False(manager.TryFree(olderEpoch, out MemoryError free));
        Assert.Equal(MemoryError.NotAllocated, free);
        Assert.False(manager.TryWrite(laterEpoch, out _, out MemoryError write));
        Assert.Equal(MemoryError.BadToken, write);
        Assert.False(manager.TryCopyHeader(olderEpoch, out _, out MemoryError copy));
        Assert.Equal(MemoryError.StaleToken, copy);
        Assert.Equal(word, manager.Core.SlotWordAt(0)); // no reservation was left behind

        Assert.Equal(MemoryError.None, ReadError(manager, second));
        manager.Free(second);
        Assert.Equal(1, manager.Available);
    }

    [Fact]
    public void Retirement_IsReportedByAnEventAndAMetricCount()
    {
        var manager = VerificationManagers.Public(VerificationManagers.Create<long, ProductionSeam>(2, default, startGeneration: SlotWord.MaxGeneration));
        var events = new List<ManagerDiagnosticEventArgs>();
        manager.Diagnostic += (_, e) => events.Add(e);
        long before = ManagerMetrics.CountsFor(manager.Name).Retired;
        MessageToken last = manager.Store(TestMessages.Of(1));
        manager.Free(last);

        ManagerDiagnosticEventArgs retired = Assert.Single(events);
        Assert.True(retired.RetiredSlot);
        Assert.Equal(last, retired.Token);
        Assert.Contains("retired", retired.Message);
        Assert.Equal(1, manager.Core.RetiredSlots);
        Assert.True(ManagerMetrics.CountsFor(manager.Name).Retired >= before + 1);
        Assert.Equal(1, manager.Available);
    }

    [Fact]
    public void LongHeldGuard_ReportedOnceWithItsAcquireStack_AndForgottenWhenReleased()
    {
        var time = new ManualTime();
        using var manager = new ConcurrentMemoryManager<long>(2, new ConcurrentMemoryManagerOptions
        {
            DiagnosticMode = true,
            GuardHoldThreshold = TimeSpan.FromSeconds(5),
            TimeProvider = time,
        });
        var events = new List<ManagerDiagnosticEventArgs>();
        manager.Diagnostic += (_, e) => events.Add(e);
        MessageToken held = manager.Store(TestMessages.Of(1));
        MessageToken brief = manager.Store(TestMessages.Of(2));

        ReadGuard<long> leaked = AcquireAndKeep(manager, held);
        using (manager.Read(brief))
        {
            // released before the check
        }

        time.Advance(TimeSpan.FromSeconds(4));
        time.FireTimers();
        Assert.Empty(events);
        Assert.Empty(manager.GetLongHeldGuards());

        time.Advance(TimeSpan.FromSeconds(2));
        time.FireTimers();
        HeldGuard report = Assert.Single(Assert.Single(events).HeldGuards);
        Assert.Equal((held, GuardKind.Read), (report.Token, report.Kind));
        Assert.Equal(TimeSpan.FromSeconds(6), report.HeldFor);
        Assert.Contains(nameof(AcquireAndKeep), report.AcquiredAt);
        Assert.Single(manager.GetLongHeldGuards());

        time.FireTimers(); // already reported: no second event
        Assert.Single(events);

        leaked.Dispose();
        Assert.Empty(manager.GetLongHeldGuards());
        Assert.True(manager.TryFree(held, out _));
        Assert.True(manager.TryFree(brief, out _));
    }

    [Fact]
    public void LongHeldGuard_WriteAndHeaderGuards_Tracked_AndCopiesStillRefused()
    {
        var time = new ManualTime();
        using var manager = new ConcurrentMemoryManager<long>(2, new ConcurrentMemoryManagerOptions
        {
            DiagnosticMode = true,
            GuardHoldThreshold = TimeSpan.FromSeconds(1),
            TimeProvider = time,
        });
        MessageToken a = manager.Store(TestMessages.Of(1));
        MessageToken b = manager.Store(TestMessages.Of(2));
        WriteGuard<long> write = manager.Write(a);
        HeaderGuard header = manager.PeekHeader(b);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(new[] { GuardKind.Write, GuardKind.Header }, manager.GetLongHeldGuards().Select(g => g.Kind));

        write.Commit();
        write.Dispose();
#pragma warning disable MV0001 // the copy is the point: its release must be refused in diagnostic mode too
        HeaderGuard copy = header;
#pragma warning restore MV0001
        header.Dispose();
        Assert.Equal(MemoryError.NotBorrowed, GuardErrors.Release(ref copy));
        Assert.Empty(manager.GetLongHeldGuards());
        Assert.True(manager.TryFree(a, out _));
        Assert.True(manager.TryFree(b, out _));
    }

    [Fact]
    public void DiagnosticMode_ACopiedReadGuardReleasedTwice_IsRefusedBeforeItTouchesTheSlot_AndTheOtherReaderKeepsItsBorrow()
    {
        var time = new ManualTime();
        using var manager = new ConcurrentMemoryManager<long>(1, new ConcurrentMemoryManagerOptions { DiagnosticMode = true, TimeProvider = time });
        MessageToken token = manager.Store(TestMessages.Of(1));
        ReadGuard<long> a = manager.Read(token);
#pragma warning disable MV0001 // the copy is the point: released after the guard, it must not take b's place
        ReadGuard<long> copy = a;
#pragma warning restore MV0001
        ReadGuard<long> b = manager.Read(token);
        a.Dispose();
        Assert.Equal(MemoryError.NotBorrowed, GuardErrors.Release(ref copy)); // a's record is gone: refused, the slot untouched
        Assert.Equal(1, new SlotWord(manager.Core.SlotWordAt(0)).Readers); // b's borrow is still counted
        Assert.False(manager.TryFree(token, out MemoryError busy)); // so a Free cannot clear the message under b
        Assert.Equal(MemoryError.BorrowActive, busy);
        Assert.Equal(1L, b.Value.Payload);
        b.Dispose();
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(manager.GetLongHeldGuards());
        Assert.True(manager.TryFree(token, out _));
    }

    [Fact]
    public void ProductionMode_ACopiedReadGuardReleasedTwice_TakesAnotherReadersPlace_AsDocumented()
    {
        // What production cannot see (docs/reliability.md): a reader count does not tell two read borrows apart.
        using var manager = new ConcurrentMemoryManager<long>(1);
        MessageToken token = manager.Store(TestMessages.Of(1));
        ReadGuard<long> a = manager.Read(token);
#pragma warning disable MV0001 // the copy is the point
        ReadGuard<long> copy = a;
#pragma warning restore MV0001
        ReadGuard<long> b = manager.Read(token);
        a.Dispose();
        copy.Dispose(); // accepted: b's borrow is of the same generation
        Assert.Equal(MemoryError.NotBorrowed, GuardErrors.Release(ref b)); // its place was taken: refused
        Assert.True(manager.TryFree(token, out _));
    }

    [Fact]
    public void LongHeldGuardCheck_RunsEveryThreshold_SoAGuardThatBecomesLongHeldLaterIsReportedToo()
    {
        var time = new ManualTime();
        using var manager = new ConcurrentMemoryManager<long>(2, new ConcurrentMemoryManagerOptions
        {
            DiagnosticMode = true,
            GuardHoldThreshold = TimeSpan.FromSeconds(1),
            TimeProvider = time,
        });
        var reported = new List<MessageToken>();
        manager.Diagnostic += (_, e) => reported.AddRange(e.HeldGuards.Select(g => g.Token));
        MessageToken a = manager.Store(TestMessages.Of(1));
        MessageToken b = manager.Store(TestMessages.Of(2));

        ReadGuard<long> first = manager.Read(a);
        time.AdvanceAndFire(TimeSpan.FromSeconds(1.5)); // the check at 1 s: held 1 s
        Assert.Equal([a], reported);
        first.Dispose();

        time.AdvanceAndFire(TimeSpan.FromSeconds(1)); // the check at 2 s: nothing held
        ReadGuard<long> second = manager.Read(b); // at 2.5 s
        time.AdvanceAndFire(TimeSpan.FromSeconds(2)); // the checks at 3 s (held 0.5 s) and 4 s (held 1.5 s)
        Assert.Equal([a, b], reported);
        second.Dispose();
        Assert.True(manager.TryFree(a, out _));
        Assert.True(manager.TryFree(b, out _));
    }

    [Fact]
    public void LongHeldGuardTimer_StopsItself_OnceAnUndisposedManagerIsCollected()
    {
        var time = new ManualTime();
        CreateAndDrop(time);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        time.FireTimers();
        Assert.All(time.Timers, t => Assert.True(((ManualTime.ManualTimer)t).Disposed));
        Assert.NotEmpty(time.Timers);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CreateAndDrop(ManualTime time) =>
        _ = new ConcurrentMemoryManager<long>(1, new ConcurrentMemoryManagerOptions { DiagnosticMode = true, TimeProvider = time });

    [Fact]
    public void LongHeldGuards_OutsideDiagnosticMode_Throws() =>
        Assert.Throws<InvalidOperationException>(() => new ConcurrentMemoryManager<long>(1).GetLongHeldGuards());

    private static ReadGuard<long> AcquireAndKeep(ConcurrentMemoryManager<long> manager, MessageToken token) => manager.Read(token);

    private static MemoryError ReadError(ConcurrentMemoryManager<long> manager, MessageToken token)
    {
        if (!manager.TryRead(token, out ReadGuard<long> guard, out MemoryError error))
        {
            return error;
        }

        guard.Dispose();
        return MemoryError.None;
    }
}
