using ManagerVerified.Core;

namespace ManagerVerified.Tests.Unit;

/// <summary>Boundaries of the slot word and the token: the reader limit (at most <see cref="SlotWord.MaxReaders"/>
/// readers; the next Try-read is refused and nothing spills into the writer or live bits) and the index
/// just past the capacity on every path.</summary>
public sealed class BoundaryTests
{
    [Fact]
    public void Token_IndexEqualToCapacity_BadTokenOnEveryPath()
    {
        var manager = new ConcurrentMemoryManager<int>(2);
        manager.Store(new Message<int>(default, 1));
        var token = new MessageToken(2, SlotWord.FirstGeneration);
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
        Assert.Equal(MemoryError.AlreadyBorrowed, error);
        var word = new SlotWord(manager.Core.SlotWords[0]);
        Assert.Equal((SlotWord.MaxReaders, false, true), (word.Readers, word.HasWriter, word.IsLive));
    }
}
