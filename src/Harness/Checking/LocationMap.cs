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
        if (Unsafe.AreSame(ref location, ref manager.HeadWord))
        {
            return new Location(LocationKind.Head, 0);
        }

        long[] epochs = manager.Epochs;
        nint offset = Unsafe.ByteOffset(ref MemoryMarshal.GetArrayDataReference(epochs), ref location);
        return offset >= 0 && offset < (nint)epochs.Length * sizeof(long)
            ? new Location(LocationKind.Epoch, (int)(offset / sizeof(long)))
            : new Location(LocationKind.SlotWord, IndexIn(manager.SlotWords, ref location));
    }

    internal Location Of(ref int location)
    {
        if (Unsafe.AreSame(ref location, ref manager.AvailableWord))
        {
            return new Location(LocationKind.Count, 0);
        }

        if (Unsafe.AreSame(ref location, ref manager.RetiredWord))
        {
            return new Location(LocationKind.Retired, 0);
        }

        int[] links = manager.Links;
        nint offset = Unsafe.ByteOffset(ref MemoryMarshal.GetArrayDataReference(links), ref location);
        return offset >= 0 && offset < (nint)links.Length * sizeof(int)
            ? new Location(LocationKind.Link, (int)(offset / sizeof(int)))
            : new Location(LocationKind.WriteSequence, IndexIn(manager.WriteSequences, ref location));
    }

    /// <summary>The message slot that holds <paramref name="location"/> (a message or a field of one).</summary>
    internal Location OfMessage<T>(ref T location) =>
        new(LocationKind.Message, IndexIn(manager.Messages, ref Unsafe.As<T, Message<CheckedPayload>>(ref location)));

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
