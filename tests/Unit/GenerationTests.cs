using ManagerVerified.Core;
using ManagerVerified.Verification;
using ManagerVerified.Seam;

namespace ManagerVerified.Tests.Unit;

/// <summary>Tag wraparound and generation exhaustion, reached by starting just below their limits.</summary>
public sealed class GenerationTests
{
    [Theory]
    [InlineData(null)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void TagStartingBelowMaximum_RunsThroughWrap_SameBehaviour(int? tagBits)
    {
        const int capacity = 3;
        ulong start = tagBits is int b ? (1UL << b) - 1 : HeadLayout.ForCapacity(capacity).TagMask - 2;
        ConcurrentMemoryManager<long> wrapped = VerificationManagers.Public(tagBits is int bits
            ? VerificationManagers.CreateNarrowTag<long, ProductionSeam>(capacity, default, bits, start)
            : VerificationManagers.Create<long, ProductionSeam>(capacity, default, start));
        var reference = new ConcurrentMemoryManager<long>(capacity, new ConcurrentMemoryManagerOptions { FreeListShards = 1 }); // one list, as the wrapped one

        var wrappedTokens = new List<MessageToken>();
        var referenceTokens = new List<MessageToken>();
        ulong firstTag = wrapped.Core.Layout.Tag(wrapped.Core.SnapshotQuiescent().Heads[0]);
        for (int i = 0; i < 40; i++)
        {
            if (i % 3 == 2 && wrappedTokens.Count > 0)
            {
                wrapped.Free(wrappedTokens[0]);
                reference.Free(referenceTokens[0]);
                wrappedTokens.RemoveAt(0);
                referenceTokens.RemoveAt(0);
                continue;
            }

            bool a = wrapped.TryStore(TestMessages.Of(i), out MessageToken wt, out MemoryError we);
            bool r = reference.TryStore(TestMessages.Of(i), out MessageToken rt, out MemoryError re);
            Assert.Equal(r, a);
            Assert.Equal(re, we);
            Assert.Equal((rt.Index, rt.Generation), (wt.Index, wt.Generation)); // different managers: different identities
            if (a)
            {
                wrappedTokens.Add(wt);
                referenceTokens.Add(rt);
            }

            Assert.Equal(reference.Available, wrapped.Available);
        }

        // The tag really went through its maximum and back past zero.
        ulong lastTag = wrapped.Core.Layout.Tag(wrapped.Core.SnapshotQuiescent().Heads[0]);
        Assert.True(lastTag < firstTag, $"tag went from {firstTag} to {lastTag}: no wrap");
    }

    [Fact]
    public void Generation_Exhausted_SlotRetiredNotReused()
    {
        var manager = VerificationManagers.Public(VerificationManagers.Create<long, ProductionSeam>(2, default, startGeneration: SlotWord.MaxGeneration));
        MessageToken last = manager.Store(TestMessages.Of(1));
        Assert.Equal(SlotWord.MaxGeneration, last.Generation);
        manager.Free(last);

        // Retired: not back on the list, its last token stale, never reissued.
        Assert.Equal(1, manager.Available);
        Assert.False(manager.TryRead(last, out _, out MemoryError error));
        Assert.Equal(MemoryError.StaleToken, error);
        Assert.False(manager.TryFree(last, out error));
        Assert.Equal(MemoryError.NotAllocated, error);
        MessageToken other = manager.Store(TestMessages.Of(2));
        Assert.NotEqual(last.Index, other.Index);
        Assert.False(manager.TryStore(TestMessages.Of(3), out _, out error));
        Assert.Equal(MemoryError.NoFreeSlots, error);
        QuiescentSnapshot snapshot = manager.Core.SnapshotQuiescent();
        Assert.Equal(1, snapshot.RetiredCount);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(5)]
    public void NarrowTagFactory_TagBitsOutOfRange_Throws(int tagBits) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => VerificationManagers.CreateNarrowTag<long, ProductionSeam>(4, default, tagBits));

    [Fact]
    public void NarrowTagFactory_StartTagTooWide_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => VerificationManagers.CreateNarrowTag<long, ProductionSeam>(4, default, 2, startTag: 4));
}
