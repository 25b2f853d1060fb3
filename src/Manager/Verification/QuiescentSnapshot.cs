using ManagerVerified.Core;
using ManagerVerified.Seam;

namespace ManagerVerified.Verification;

/// <summary>What <see cref="QuiescentSnapshots.SnapshotQuiescent"/> saw.</summary>
/// <param name="Capacity">The capacity.</param>
/// <param name="Available">The available count.</param>
/// <param name="FreeList">The free-list, top first (cut at Capacity entries when cyclic).</param>
/// <param name="FreeListTooLong">True when walking the list took more than Capacity steps (a cycle or a duplicate).</param>
/// <param name="Words">Every slot word.</param>
/// <param name="Head">The raw head word.</param>
internal sealed record QuiescentSnapshot(int Capacity, int Available, int[] FreeList, bool FreeListTooLong, SlotWord[] Words, long Head)
{
    internal int LiveCount => Words.Count(w => w.IsLive);

    internal int RetiredCount => Words.Count(w => w.IsRetired);
}

/// <summary>Verification-only inspection of a core: what the monitors check when no operation is in flight.</summary>
internal static class QuiescentSnapshots
{
    /// <summary>A consistent picture of <paramref name="manager"/>. Only meaningful when no operation is in flight.</summary>
    internal static QuiescentSnapshot SnapshotQuiescent<TPayload, TSeam>(this SlotManager<TPayload, TSeam> manager)
        where TSeam : struct, IConcurrencySeam
    {
        long head = Volatile.Read(ref manager.HeadWord);
        int[] links = manager.Links;
        int capacity = manager.Capacity;

        // A corrupted list can be cyclic: stop after Capacity entries and say so.
        var freeList = new List<int>();
        bool tooLong = false;
        for (int top = manager.Layout.EncodedTop(head); top != 0; top = Volatile.Read(ref links[top - 1]))
        {
            if (freeList.Count == capacity)
            {
                tooLong = true;
                break;
            }

            freeList.Add(top - 1);
        }

        var words = new SlotWord[capacity];
        for (int i = 0; i < capacity; i++)
        {
            words[i] = new SlotWord(Volatile.Read(ref manager.SlotWords[i]));
        }

        return new QuiescentSnapshot(capacity, Volatile.Read(ref manager.AvailableWord), [.. freeList], tooLong, words, head);
    }
}
