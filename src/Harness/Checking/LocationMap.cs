using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ManagerVerified.Core;
using ManagerVerified.Harness.Checking;
using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Harness.Checking;

/// <summary>Names the location behind a <c>ref</c> that the checked seam was handed: which word or
/// which array element of the checked manager it is.</summary>
internal sealed class LocationMap(SlotManager<CheckedPayload, CheckedSeam> manager)
{
    internal Location Of(ref long location)
    {
        FreeListShard[] shards = manager.FreeListShards;
        for (int s = 0; s < shards.Length; s++)
        {
            if (Unsafe.AreSame(ref location, ref shards[s].Head))
            {
                return new Location(LocationKind.Head, s);
            }
        }

        // The slot state: one line per slot (SlotManager's layout comment).
        int element = IndexIn(manager.State, ref location) - manager.StateOrigin;
        int slot = element / SlotManager<CheckedPayload, CheckedSeam>.StateLine;
        return (element % SlotManager<CheckedPayload, CheckedSeam>.StateLine) switch
        {
            SlotManager<CheckedPayload, CheckedSeam>.WordField => new Location(LocationKind.SlotWord, slot),
            SlotManager<CheckedPayload, CheckedSeam>.EpochField => new Location(LocationKind.Epoch, slot),
            SlotManager<CheckedPayload, CheckedSeam>.SequenceField => new Location(LocationKind.WriteSequence, slot),
            _ => throw new InvalidOperationException($"the checked seam was handed padding of slot {slot}'s state line"),
        };
    }

    internal Location Of(ref int location)
    {
        FreeListShard[] shards = manager.FreeListShards;
        for (int s = 0; s < shards.Length; s++)
        {
            if (Unsafe.AreSame(ref location, ref shards[s].Available))
            {
                return new Location(LocationKind.Count, s);
            }
        }

        return Unsafe.AreSame(ref location, ref manager.RetiredWord)
            ? new Location(LocationKind.Retired, 0)
            : new Location(LocationKind.Link, manager.LinkIndexOf(ref location) is var slot and >= 0
                ? slot
                : throw new InvalidOperationException("the checked seam was handed an int that is not in the manager's storage"));
    }

    /// <summary>The message slot that holds <paramref name="location"/> (a message or a field of one).</summary>
    internal Location OfMessage<T>(ref T location) =>
        new(LocationKind.Message, manager.MessageIndexOf(ref location) is var slot and >= 0
            ? slot
            : throw new InvalidOperationException($"the checked seam was handed a {typeof(T).Name} that is not in the manager's storage"));

    private static int IndexIn<TElement>(TElement[] array, ref TElement element)
    {
        nint offset = Unsafe.ByteOffset(ref MemoryMarshal.GetArrayDataReference(array), ref element);
        nint size = Unsafe.SizeOf<TElement>();
        if (offset < 0 || offset >= array.Length * size)
        {
            throw new InvalidOperationException($"the checked seam was handed a {typeof(TElement).Name} that is not in the manager's storage");
        }

        return (int)(offset / size);
    }
}
