using ManagerVerified.Core;
using ManagerVerified.Seam;

namespace ManagerVerified.Verification;

/// <summary>What <see cref="QuiescentSnapshots.SnapshotQuiescent"/> saw.</summary>
/// <param name="Capacity">The capacity.</param>
/// <param name="ShardAvailable">Each free-list shard's available count.</param>
/// <param name="ShardLists">Each shard's list, top first (cut when a walk took more than Capacity steps).</param>
/// <param name="FreeListTooLong">True when walking the lists took more than Capacity steps in all (a cycle or a duplicate).</param>
/// <param name="Words">Every slot word.</param>
/// <param name="Heads">Each shard's raw head word.</param>
internal sealed record QuiescentSnapshot(int Capacity, int[] ShardAvailable, int[][] ShardLists, bool FreeListTooLong, SlotWord[] Words, long[] Heads)
{
    /// <summary>The available count: the shards' counts summed.</summary>
    internal int Available => ShardAvailable.Sum();

    /// <summary>Every shard's list, shard 0's first.</summary>
    internal int[] FreeList => [.. ShardLists.SelectMany(list => list)];

    internal int LiveCount => Words.Count(w => w.IsLive);

    internal int RetiredCount => Words.Count(w => w.IsRetired);
}

/// <summary>Verification-only inspection of a core: what the monitors check when no operation is in flight.</summary>
internal static class QuiescentSnapshots
{
    /// <summary>A consistent picture of <paramref name="manager"/>. Only meaningful when no operation is in flight.</summary>
    [Inspection]
    internal static QuiescentSnapshot SnapshotQuiescent<TPayload, TSeam>(this SlotManager<TPayload, TSeam> manager)
        where TSeam : struct, IConcurrencySeam
    {
        FreeListShard[] shards = manager.FreeListShards;
        int capacity = manager.Capacity;

        // A corrupted list can be cyclic: stop after Capacity entries in all and say so.
        var lists = new int[shards.Length][];
        var heads = new long[shards.Length];
        var counts = new int[shards.Length];
        int walked = 0;
        bool tooLong = false;
        for (int s = 0; s < shards.Length; s++)
        {
            heads[s] = Volatile.Read(ref shards[s].Head);
            counts[s] = Volatile.Read(ref shards[s].Available);
            var list = new List<int>();
            for (int top = manager.Layout.EncodedTop(heads[s]); top != 0 && !tooLong; top = Volatile.Read(ref manager.LinkAt(top - 1)))
            {
                if (walked++ == capacity)
                {
                    tooLong = true;
                    break;
                }

                list.Add(top - 1);
            }

            lists[s] = [.. list];
        }

        var words = new SlotWord[capacity];
        for (int i = 0; i < capacity; i++)
        {
            words[i] = new SlotWord(Volatile.Read(ref manager.SlotWordAt(i)));
        }

        return new QuiescentSnapshot(capacity, counts, lists, tooLong, words, heads);
    }
}
