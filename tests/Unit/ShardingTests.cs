using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ManagerVerified.Core;
using ManagerVerified.Seam;
using ManagerVerified.Verification;

namespace ManagerVerified.Tests.Unit;

/// <summary>
/// The sharded free-list and the slot-state layout (issue 13), with the processor hint chosen by the test:
/// stores start at the hinted shard and steal from the others, frees go to the hinted shard, NoFreeSlots
/// comes only when every shard is empty, and each shard's count matches its list. The layout tests check the
/// cache-line promises the benchmarks rely on.
/// </summary>
public sealed class ShardingTests
{
    [Fact]
    public void Store_OwnShardEmpty_StealsFromTheOthers()
    {
        var manager = Create(capacity: 8, shards: 4); // shard s holds its home slots 2s and 2s + 1
        HintSeam.Hint = 3;
        var indices = new List<int>();
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(MemoryError.None, manager.Store(Message(i), out MessageToken token));
            indices.Add(token.Index);
        }

        // Its own shard first (6, 7), then the next ones, wrapping: 0, 1, 2, 3, 4, 5.
        Assert.Equal([6, 7, 0, 1, 2, 3, 4, 5], indices);
        Assert.Equal(MemoryError.NoFreeSlots, manager.Store(Message(9), out _));
        Assert.Equal(0, manager.Available);
    }

    [Theory]
    [InlineData(1, new[] { 2, 3, 4, 5, 6, 7, 0, 1 })]
    [InlineData(2, new[] { 4, 5, 6, 7, 0, 1, 2, 3 })]
    [InlineData(6, new[] { 4, 5, 6, 7, 0, 1, 2, 3 })] // a hint beyond the shards: modulo their count
    public void Store_StealsInTurnFromTheShardAfterItsOwn(int hint, int[] expected)
    {
        var manager = Create(capacity: 8, shards: 4);
        HintSeam.Hint = hint;
        var indices = new List<int>();
        for (int i = 0; i < 8; i++)
        {
            manager.Store(Message(i), out MessageToken token);
            indices.Add(token.Index);
        }

        Assert.Equal(expected, indices);
    }

    [Fact]
    public void Free_ReturnsTheSlotToItsHomeShard_AndCountsItThere()
    {
        var manager = Create(capacity: 6, shards: 3); // shard 0: slots 0, 1; shard 1: 2, 3; shard 2: 4, 5
        HintSeam.Hint = 2;
        var tokens = new MessageToken[4];
        for (int i = 0; i < 4; i++)
        {
            manager.Store(Message(i), out tokens[i]); // shard 2's two slots, then stolen from shard 0
        }

        Assert.Equal([4, 5, 0, 1], tokens.Select(t => t.Index));
        Assert.Equal([0, 2, 0], manager.SnapshotQuiescent().ShardAvailable);

        HintSeam.Hint = 1; // the freeing thread's processor does not matter: each slot goes home
        Assert.Equal(MemoryError.None, manager.Free(tokens[3], WaitLimit.None)); // slot 1: shard 0
        Assert.Equal(MemoryError.None, manager.Free(tokens[1], WaitLimit.None)); // slot 5: shard 2

        QuiescentSnapshot snapshot = manager.SnapshotQuiescent();
        Assert.Equal([1], snapshot.ShardLists[0]);
        Assert.Equal([2, 3], snapshot.ShardLists[1]);
        Assert.Equal([5], snapshot.ShardLists[2]);
        Assert.Equal([1, 2, 1], snapshot.ShardAvailable);
        Assert.Equal(4, manager.Available);
    }

    [Fact]
    public void Store_EveryOtherShardEmpty_FindsTheLastSlot()
    {
        var manager = Create(capacity: 4, shards: 4);
        var tokens = new MessageToken[4];
        for (int i = 0; i < 4; i++)
        {
            HintSeam.Hint = 0;
            manager.Store(Message(i), out tokens[i]);
        }

        manager.Free(tokens[2], WaitLimit.None); // one free slot, in one shard
        Assert.Equal([0, 0, 1, 0], manager.SnapshotQuiescent().ShardAvailable);
        for (int hint = 0; hint < 4; hint++)
        {
            HintSeam.Hint = hint; // from any shard, the scan reaches it
            Assert.Equal(MemoryError.None, manager.Store(Message(hint), out MessageToken token));
            Assert.Equal(tokens[2].Index, token.Index);
            Assert.Equal(MemoryError.NoFreeSlots, manager.Store(Message(9), out _));
            manager.Free(token, WaitLimit.None);
        }
    }

    [Theory]
    [InlineData(5, 4)]
    [InlineData(3, 2)]
    [InlineData(8, 8)]
    [InlineData(65, 64)]
    [InlineData(1100, 16)]
    [InlineData(4097, 16)]
    [InlineData(4096, 12)]
    [InlineData(70, 9)]
    public void Shards_HoldBalancedBlocksOfNeighbouringSlots(int capacity, int shards)
    {
        var manager = Create(capacity, shards);
        QuiescentSnapshot snapshot = manager.SnapshotQuiescent();
        Assert.All(snapshot.ShardAvailable, count => Assert.True(count >= 1, "a shard with no home slot"));
        Assert.True(snapshot.ShardAvailable.Max() - snapshot.ShardAvailable.Min() <= 1, $"unbalanced: {string.Join(",", snapshot.ShardAvailable)}");
        Assert.Equal(snapshot.ShardAvailable, snapshot.ShardLists.Select(list => list.Length));
        Assert.Equal(Enumerable.Range(0, capacity), snapshot.FreeList); // each block in order, lowest on top
        HintSeam.Hint = shards - 1; // from the last shard too, every slot can be stored
        for (int i = 0; i < capacity; i++)
        {
            Assert.Equal(MemoryError.None, manager.Store(Message(i), out _));
        }

        Assert.Equal(MemoryError.NoFreeSlots, manager.Store(Message(0), out _));
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(1, 16, 1)]
    [InlineData(3, 16, 3)]
    [InlineData(4096, 16, 16)]
    [InlineData(4096, 12, 12)]
    [InlineData(4096, 1, 1)]
    [InlineData(4096, 200, 64)]
    [InlineData(40, 64, 40)]
    public void ShardsFor_OnePerProcessor_WithinCapacityAnd64(int capacity, int processors, int expected) =>
        Assert.Equal(expected, TaggedFreeList<ProductionSeam>.ShardsFor(capacity, processors));

    [Theory]
    [InlineData(4, 5)]
    [InlineData(4, -1)]
    [InlineData(128, 65)]
    public void Options_BadShardCount_Throws(int capacity, int shards)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ConcurrentMemoryManager<long>(capacity, new ConcurrentMemoryManagerOptions { FreeListShards = shards }));
        Assert.Equal("options", e.ParamName);
        Assert.Contains("FreeListShards", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4, 3)]
    [InlineData(128, 64)]
    [InlineData(7, 7)]
    public void Options_AnyShardCountUpToCapacityAnd64_Works(int capacity, int shards)
    {
        using var manager = new ConcurrentMemoryManager<long>(capacity, new ConcurrentMemoryManagerOptions { FreeListShards = shards });
        Assert.Equal(shards, manager.Core.Shards);
        for (int i = 0; i < capacity; i++)
        {
            manager.Store(TestMessages.Of(i));
        }

        Assert.False(manager.TryStore(TestMessages.Of(0), out _, out MemoryError error));
        Assert.Equal(MemoryError.NoFreeSlots, error);
    }

    [Fact]
    public void Options_OneShard_IsAStack_LowestSlotFirst()
    {
        using var manager = new ConcurrentMemoryManager<long>(4, new ConcurrentMemoryManagerOptions { FreeListShards = 1 });
        MessageToken first = manager.Store(TestMessages.Of(1));
        Assert.Equal(0, first.Index);
        Assert.Equal(1, manager.Store(TestMessages.Of(2)).Index);
        manager.Free(first);
        Assert.Equal(0, manager.Store(TestMessages.Of(3)).Index); // the slot freed last is stored first
        Assert.Equal(2, manager.Store(TestMessages.Of(4)).Index);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(33)]
    [InlineData(100)]
    public void SlotState_EachSlotOnItsOwnAlignedLine(int capacity)
    {
        var manager = VerificationManagers.Create<long, ProductionSeam>(capacity, default);
        for (int i = 0; i < 1000; i++)
        {
            GC.KeepAlive(new byte[1024]); // garbage, then a compacting collection: a line must not move
        }

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        long[] state = manager.State;
        GCHandle handle = GCHandle.Alloc(state, GCHandleType.Pinned);
        try
        {
            long origin = handle.AddrOfPinnedObject();
            long Line(ref long field) => (origin + Unsafe.ByteOffset(ref MemoryMarshal.GetArrayDataReference(state), ref field)) / 64;

            var lines = new HashSet<long>();
            for (int i = 0; i < manager.Capacity; i++)
            {
                ref long word = ref manager.SlotWordAt(i);
                Assert.Equal(0, (origin + Unsafe.ByteOffset(ref MemoryMarshal.GetArrayDataReference(state), ref word)) % 64);
                Assert.Equal(Line(ref word), Line(ref manager.EpochAt(i))); // the epoch is read with the word: same line
                Assert.True(lines.Add(Line(ref word)), $"slot {i}'s word shares a cache line with another slot's");
            }
        }
        finally
        {
            handle.Free();
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(100)]
    public void LinksAndMessages_NoOtherObjectSharesALineWithTheFirstOrLastSlots(int capacity)
    {
        // Store and Free write a slot's message and its link. Slot 0's and the last slot's must be 64 bytes inside
        // their arrays: else the thread that stores and frees slot 0 writes the line of whatever object the
        // allocator put before the array (the manager's own fields, read by every operation: issue 13).
        var manager = VerificationManagers.Create<long, ProductionSeam>(capacity, default);
        AssertPadded(manager.LinkStorage, ref manager.LinkAt(0), ref manager.LinkAt(capacity - 1));
        AssertPadded(manager.MessageStorage, ref manager.MessageAt(0), ref manager.MessageAt(capacity - 1));
        var bytes = VerificationManagers.Create<byte, ProductionSeam>(capacity, default); // the smallest message
        AssertPadded(bytes.MessageStorage, ref bytes.MessageAt(0), ref bytes.MessageAt(capacity - 1));
    }

    private static void AssertPadded<T>(T[] array, ref T first, ref T last)
    {
        ref T start = ref MemoryMarshal.GetArrayDataReference(array);
        long before = (long)Unsafe.ByteOffset(ref start, ref first);
        long after = ((long)array.Length * Unsafe.SizeOf<T>()) - ((long)Unsafe.ByteOffset(ref start, ref last) + Unsafe.SizeOf<T>());
        Assert.True(before >= 64, $"the first {typeof(T).Name} is {before} bytes into its array");
        Assert.True(after >= 64, $"the last {typeof(T).Name} is {after} bytes before its array's end");
    }

    [Fact]
    public void FreeListShards_HeadsAtLeastACacheLineApart()
    {
        var manager = VerificationManagers.Create<long, ProductionSeam>(8, default, shards: 4);
        FreeListShard[] shards = manager.FreeListShards;
        for (int s = 1; s < shards.Length; s++)
        {
            long apart = (long)Unsafe.ByteOffset(ref shards[s - 1].Head, ref shards[s].Head);
            Assert.True(apart >= 128, $"shards {s - 1} and {s}: heads {apart} bytes apart");
        }

        // 64 bytes before the first head: nothing else in the array can share its line.
        Assert.True(Unsafe.ByteOffset(ref Unsafe.As<FreeListShard, byte>(ref shards[0]), ref Unsafe.As<long, byte>(ref shards[0].Head)) >= 64);
    }

    [Fact]
    public void TryCopy_ReturnsTheWholeMessage()
    {
        using var manager = new ConcurrentMemoryManager<long>(2);
        MessageToken token = manager.Store(TestMessages.Of(41));
        Assert.True(manager.TryCopy(token, out Message<long> copy, out MemoryError error));
        Assert.Equal(MemoryError.None, error);
        Assert.Equal(41, copy.Payload);
        Assert.Equal(TestMessages.Of(41).Header, copy.Header);
    }

    [Fact]
    public void TryCopy_Refusals_AreTheTokensErrors()
    {
        using var manager = new ConcurrentMemoryManager<long>(2);
        MessageToken token = manager.Store(TestMessages.Of(1));
        using (WriteGuard<long> guard = manager.Write(token))
        {
            Assert.False(manager.TryCopy(token, out Message<long> copy, out MemoryError busy));
            Assert.Equal(MemoryError.AlreadyBorrowed, busy);
            Assert.Equal(default, copy.Payload);
        } // disposed without Commit: poisoned

        Assert.False(manager.TryCopy(token, out _, out MemoryError poisoned));
        Assert.Equal(MemoryError.Poisoned, poisoned);
        manager.Free(token);
        Assert.False(manager.TryCopy(token, out _, out MemoryError stale));
        Assert.Equal(MemoryError.StaleToken, stale);
        Assert.False(manager.TryCopy(default, out _, out MemoryError bad));
        Assert.Equal(MemoryError.BadToken, bad);
        Assert.Throws<ArgumentNullException>(() => MessageCopyExtensions.TryCopy<long>(null!, token, out _, out _));
    }

    private static SlotManager<long, HintSeam> Create(int capacity, int shards) =>
        VerificationManagers.Create<long, HintSeam>(capacity, default, shards: shards);

    private static Message<long> Message(long value) => TestMessages.Of(value);

    /// <summary>The production seam, with the processor hint set by the test (per thread).</summary>
    private readonly struct HintSeam : IConcurrencySeam
    {
        [ThreadStatic]
        internal static int Hint;

        public int ShardHint() => Hint;

        public long Load(ref long location) => default(ProductionSeam).Load(ref location);

        public int Load(ref int location) => default(ProductionSeam).Load(ref location);

        public void Store(ref long location, long value) => default(ProductionSeam).Store(ref location, value);

        public void Store(ref int location, int value) => default(ProductionSeam).Store(ref location, value);

        public long CompareExchange(ref long location, long value, long comparand) => default(ProductionSeam).CompareExchange(ref location, value, comparand);

        public long Add(ref long location, long delta) => default(ProductionSeam).Add(ref location, delta);

        public int Add(ref int location, int delta) => default(ProductionSeam).Add(ref location, delta);

        public void WritePlain<T>(ref T location, T value) => location = value;

        public T CopyOptimistic<T>(ref T source) => source;

        public void ReadBarrier() => default(ProductionSeam).ReadBarrier();

        public bool WaitWhileUnchanged(long[] words, int index, long observed, in WaitLimit limit) => default(ProductionSeam).WaitWhileUnchanged(words, index, observed, limit);

        public void BackOff(int attempt)
        {
        }

        public void SlotBackOff(int attempt)
        {
        }

        public void OnSlotTaken(int index, int installedTop, ref int link)
        {
        }

        public void OnSlotReturning(int index)
        {
        }

        public void OnAvailableChanged(int shard, int value)
        {
        }

        public void OnReadEntered(int index)
        {
        }

        public void OnReadExiting(int index)
        {
        }

        public void OnWriteEntered(int index)
        {
        }

        public void OnWriteExiting(int index)
        {
        }

        public void OnOptimisticCopyAccepted(int index)
        {
        }

        public void OnSlotWait()
        {
        }
    }
}
