using System.Runtime.CompilerServices;

namespace ManagerVerified.Core;

/// <summary>
/// How the free-list head packs the top slot and the ABA tag into one 64-bit word, for one manager.
/// </summary>
internal readonly struct HeadLayout
{
    // Layout (64 bits), IndexBits = bit length of Capacity, TagBits = 64 - IndexBits in production:
    //   [63 ............ IndexBits][IndexBits-1 ........ 0]
    //    tag (TagBits)               top + 1 (0 = empty list)
    // Production capacities are at most 2^24, so IndexBits <= 25 and TagBits >= 39.
    // Verification-only layouts narrow TagBits to 0..4 (bits above IndexBits + TagBits stay 0).
    internal readonly int IndexBits;
    internal readonly int TagBits;
    internal readonly long IndexMask;
    internal readonly ulong TagMask;

    internal HeadLayout(int indexBits, int tagBits)
    {
        // The index needs at least one bit (0 means empty) and the tag shares the rest of the word;
        // a 64-bit shift would wrap to 0 in C#, so the bounds keep both shifts below 64.
        ArgumentOutOfRangeException.ThrowIfLessThan(indexBits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(indexBits, 31);
        ArgumentOutOfRangeException.ThrowIfNegative(tagBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tagBits, 64 - indexBits);
        IndexBits = indexBits;
        TagBits = tagBits;
        IndexMask = (1L << indexBits) - 1;
        TagMask = (1UL << tagBits) - 1;
    }

    /// <summary>The production layout: the index takes what the capacity needs, the tag takes the rest.</summary>
    internal static HeadLayout ForCapacity(int capacity)
    {
        int indexBits = IndexBitsFor(capacity);
        return new HeadLayout(indexBits, 64 - indexBits);
    }

    /// <summary>Bits needed to hold 0 (empty) and 1..capacity (slot + 1).</summary>
    internal static int IndexBitsFor(int capacity) => 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)capacity);

    /// <summary>Packs the encoded top (slot + 1, or 0) and a tag, which is reduced modulo 2^TagBits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal long Pack(int encodedTop, ulong tag) => (long)((tag & TagMask) << IndexBits) | (uint)encodedTop;

    /// <summary>The encoded top: slot + 1, or 0 when the list is empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int EncodedTop(long head) => (int)(head & IndexMask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong Tag(long head) => (ulong)head >> IndexBits;

    /// <summary>The head that replaces <paramref name="head"/> with <paramref name="encodedTop"/> on top: same layout, tag + 1 (mod 2^TagBits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal long Advance(long head, int encodedTop) => Pack(encodedTop, Tag(head) + 1);
}
