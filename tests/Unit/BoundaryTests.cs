using ManagerVerified.Core;
using ManagerVerified.Verification;
using ManagerVerified.Seam;

namespace ManagerVerified.Tests.Unit;

/// <summary>Boundaries of the slot word and the token: the reader limit (at most <see cref="SlotWord.MaxReaders"/>
/// readers; the next Try-read is refused and nothing spills into the writer or live bits), the index
/// just past the capacity on every path, the last generation before retirement, the construction
/// limits of the core, and the quiescent free-list walk at its ends.</summary>
public sealed class BoundaryTests
{
    [Fact]
    public void Token_IndexEqualToCapacity_BadTokenOnEveryPath()
    {
        var manager = new ConcurrentMemoryManager<int>(2);
        manager.Store(new Message<int>(default, 1));
        var token = new MessageToken(2, SlotWord.FirstGeneration, manager.Core.Id);
        Assert.Equal(MemoryError.BadToken, manager.TryRead(token, out _, out MemoryError read) ? MemoryError.None : read);
        Assert.Equal(MemoryError.BadToken, manager.TryPeekHeader(token, out _, out MemoryError peek) ? MemoryError.None : peek);
        Assert.Equal(MemoryError.BadToken, manager.TryWrite(token, out _, out MemoryError write) ? MemoryError.None : write);
        Assert.Equal(MemoryError.BadToken, manager.TryCopyHeader(token, out _, out MemoryError copy) ? MemoryError.None : copy);
        Assert.Equal(MemoryError.BadToken, manager.TryFree(token, out MemoryError free) ? MemoryError.None : free);
    }

    [Fact]
    public void TryRead_AtTheReaderLimit_RefusedAndWordIntact()
    {
        var manager = new ConcurrentMemoryManager<int>(1);
        MessageToken token = manager.Store(new Message<int>(default, 7));
        for (long i = 0; i < SlotWord.MaxReaders; i++)
        {
            Assert.True(manager.TryRead(token, out _, out _)); // leaked on purpose: each holds a reader place
        }

        Assert.False(manager.TryRead(token, out _, out MemoryError error));
        Assert.Equal(MemoryError.ReaderLimit, error);
        Assert.False(manager.TryPeekHeader(token, out _, out error));
        Assert.Equal(MemoryError.ReaderLimit, error);
        var word = new SlotWord(manager.Core.SlotWordAt(0));
        Assert.Equal((SlotWord.MaxReaders, false, true), (word.Readers, word.HasWriter, word.IsLive));
    }

    [Fact]
    public void Generation_TheLastOneIsIssued_ThenTheSlotRetires()
    {
        // One slot two generations before its maximum: MaxGeneration - 1 and MaxGeneration are both
        // issued; only the free of the last one retires the slot.
        var manager = VerificationManagers.Public(VerificationManagers.Create<long, ProductionSeam>(1, default, startGeneration: SlotWord.MaxGeneration - 1));
        manager.Free(manager.Store(TestMessages.Of(1)));
        MessageToken last = manager.Store(TestMessages.Of(2));
        Assert.Equal(SlotWord.MaxGeneration, last.Generation);
        manager.Free(last);

        Assert.False(manager.TryStore(TestMessages.Of(3), out _, out MemoryError error));
        Assert.Equal(MemoryError.NoFreeSlots, error);
        Assert.Equal(0, manager.Available);
        QuiescentSnapshot snapshot = manager.Core.SnapshotQuiescent();
        Assert.Equal(SlotWord.Pack(SlotWord.LowOf(SlotWord.MaxGeneration), live: false, retired: true, writer: false, readers: 0).Value, snapshot.Words[0].Value);
        Assert.Empty(snapshot.FreeList);
    }

    [Theory]
    [InlineData(0, 1, "capacity")]
    [InlineData(ConcurrentMemoryManager<long>.MaxCapacity + 1, 1, "capacity")]
    [InlineData(1, 0, "startGeneration")]
    [InlineData(1, -1, "startGeneration")] // -1: one past the last generation
    public void SlotManager_ArgumentsOutOfRange_Throw(int capacity, int start, string parameter)
    {
        UInt128 startGeneration = start < 0 ? SlotWord.MaxGeneration + 1 : (UInt128)start;
        // The core checks its own arguments (not only the public factories), so a verification
        // factory or a future caller cannot build a manager whose words overflow.
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new SlotManager<long, ProductionSeam>(capacity, MemoryClass.Host, default, HeadLayout.ForCapacity(1), 0, startGeneration));
        Assert.Equal(parameter, e.ParamName);
    }

    [Theory]
    [InlineData(0, 1, "indexBits")]
    [InlineData(32, 1, "indexBits")]
    [InlineData(1, -1, "tagBits")]
    [InlineData(1, 64, "tagBits")]
    [InlineData(24, 41, "tagBits")]
    public void HeadLayout_WidthsOutOfRange_Throw(int indexBits, int tagBits, string parameter)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new HeadLayout(indexBits, tagBits));
        Assert.Equal(parameter, e.ParamName);
    }

    [Fact]
    public void HeadLayout_WidestTag_MasksAllButTheIndex()
    {
        HeadLayout layout = HeadLayout.ForCapacity(1);
        Assert.Equal((1, 63, ulong.MaxValue >> 1), (layout.IndexBits, layout.TagBits, layout.TagMask));
    }

    [Fact]
    public void FreeList_EmptyCount_Throws() =>
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() =>
            new TaggedFreeList<ProductionSeam>(0, 1, HeadLayout.ForCapacity(1), 0, default)).ParamName);

    [Fact]
    public void QuiescentWalk_EmptyList_IsNotTooLong()
    {
        var manager = VerificationManagers.Public(VerificationManagers.Create<long, ProductionSeam>(2, default));
        manager.Store(TestMessages.Of(1));
        manager.Store(TestMessages.Of(2));
        QuiescentSnapshot snapshot = manager.Core.SnapshotQuiescent();
        Assert.Empty(snapshot.FreeList);
        Assert.False(snapshot.FreeListTooLong);
    }

    [Fact]
    public void QuiescentWalk_CyclicList_CutAtCapacityAndReported()
    {
        // A corrupted link (the last slot pointing back to the first) must not hang the monitors'
        // walk: it stops after Capacity entries and says the list is too long.
        var manager = VerificationManagers.Public(VerificationManagers.Create<long, ProductionSeam>(3, default));
        manager.Core.LinkAt(2) = 1; // encoded: slot 0
        QuiescentSnapshot snapshot = manager.Core.SnapshotQuiescent();
        Assert.True(snapshot.FreeListTooLong);
        Assert.Equal([0, 1, 2], snapshot.FreeList);
    }
}
