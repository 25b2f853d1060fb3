using System.Runtime.CompilerServices;

namespace ManagerVerified.Core;

/// <summary>
/// The one 64-bit word per slot that holds both the slot's generation and its reader/writer lock
/// state, so that checking a token's generation and taking the lock are a single CAS.
/// </summary>
/// <remarks>
/// A value type wrapper over <see cref="long"/>: the word itself lives in a <c>long[]</c> and is
/// only ever read and written through the concurrency seam.
/// </remarks>
internal readonly struct SlotWord
{
    // Layout (64 bits):
    //   [63 .................. 24][23][22][21][20 ............. 0]
    //    generation (40 bits)      Rt  Lv  Wr  readers (21 bits)
    // readers:    number of read/header guards held (at most MaxReaders).
    // Wr:         an exclusive holder: a write guard, or a Free between its check and its release.
    // Lv (live):  a message is stored; tokens of this generation are valid.
    // Rt:         retired: the generation is exhausted and the slot never returns to the free-list.
    // generation: starts at 1; advanced by Free; tokens of an older generation are stale.
    internal const int ReaderBits = 21;
    internal const long ReaderMask = (1L << ReaderBits) - 1;
    internal const long MaxReaders = ReaderMask;
    internal const long WriterBit = 1L << 21;
    internal const long LiveBit = 1L << 22;
    internal const long RetiredBit = 1L << 23;
    internal const int GenerationShift = 24;
    internal const int GenerationBits = 64 - GenerationShift;
    internal const ulong MaxGeneration = (1UL << GenerationBits) - 1;
    internal const ulong FirstGeneration = 1;

    /// <summary>Bits that keep a reader (or an optimistic copy) out: a writer or a free holds the slot.</summary>
    internal const long ReadBlockMask = WriterBit;

    /// <summary>Bits that keep a writer or a free out: another exclusive holder, or any reader.</summary>
    internal const long WriteBlockMask = WriterBit | ReaderMask;

    internal readonly long Value;

    internal SlotWord(long value) => Value = value;

    internal static SlotWord Pack(ulong generation, bool live, bool retired, bool writer, long readers)
    {
        long v = (long)(generation << GenerationShift) | readers
            | (live ? LiveBit : 0)
            | (retired ? RetiredBit : 0)
            | (writer ? WriterBit : 0);
        return new SlotWord(v);
    }

    internal ulong Generation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (ulong)Value >> GenerationShift;
    }

    internal long Readers => Value & ReaderMask;

    internal bool HasWriter => (Value & WriterBit) != 0;

    internal bool IsLive => (Value & LiveBit) != 0;

    internal bool IsRetired => (Value & RetiredBit) != 0;

    public override string ToString() =>
        $"gen={Generation} live={IsLive} retired={IsRetired} writer={HasWriter} readers={Readers}";
}
