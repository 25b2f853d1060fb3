using System.Runtime.CompilerServices;

namespace ManagerVerified.Core;

/// <summary>
/// The one 64-bit word per slot that holds the slot's lock state and the low part of its generation,
/// so that checking a token's generation and taking the lock are a single CAS.
/// </summary>
/// <remarks>
/// A value type wrapper over <see cref="long"/>: the word itself lives in a <c>long[]</c> and is
/// only ever read and written through the concurrency seam. A slot's whole generation is
/// <c>epoch : low</c> (<see cref="GenerationBits"/> bits): the epoch, in its own word, changes only
/// when the low part wraps (docs/invariants.md, I8).
/// </remarks>
internal readonly struct SlotWord
{
    // Layout (64 bits):
    //   [63 ............... 26][25][24][23][22][21][20 ............. 0]
    //    generation low (38)    Cm  Ps  Rt  Lv  Wr  readers (21 bits)
    // readers:    number of read/header guards held (at most MaxReaders) while Wr is clear; while Wr is set no
    //             reader can be inside, and the bits hold the hold's ticket (TicketOf a write guard's hold
    //             number; 0 while a hold is being taken or released, and for a Replace's or a Free's hold).
    // Wr:         an exclusive holder: a write guard, a Replace, or a Free between its check and its release.
    // Lv (live):  a message is stored; tokens of this generation are valid.
    // Rt:         retired: the last generation (2^70 - 1) was freed; the slot never returns to the free-list.
    // Ps:         poisoned: a write guard was released without Commit; reads and writes get Poisoned.
    // Cm:         the exclusive holder committed its write (cleared with Wr).
    // generation low: the generation modulo 2^38; the slot's epoch word holds generation >> 38.
    internal const int ReaderBits = 21;
    internal const long ReaderMask = (1L << ReaderBits) - 1;
    internal const long MaxReaders = ReaderMask;
    internal const long WriterBit = 1L << 21;
    internal const long LiveBit = 1L << 22;
    internal const long RetiredBit = 1L << 23;
    internal const long PoisonedBit = 1L << 24;
    internal const long CommittedBit = 1L << 25;
    internal const int GenerationShift = 26;
    internal const int LowGenerationBits = 64 - GenerationShift;
    internal const ulong MaxLowGeneration = (1UL << LowGenerationBits) - 1;

    /// <summary>Bits of a whole generation: the 38 low bits here and a 32-bit epoch.</summary>
    internal const int GenerationBits = LowGenerationBits + 32;

    /// <summary>The last generation a slot issues (2^70 - 1): at one Store+Free per nanosecond, after
    /// about 37,000 years.</summary>
    internal static readonly UInt128 MaxGeneration = (UInt128.One << GenerationBits) - 1;

    internal const ulong FirstGeneration = 1;

    /// <summary>Bits that keep a reader (or an optimistic copy) out: a writer or a free holds the slot.</summary>
    internal const long ReadBlockMask = WriterBit;

    /// <summary>Bits that keep a writer or a free out: another exclusive holder, or any reader.</summary>
    internal const long WriteBlockMask = WriterBit | ReaderMask;

    internal readonly long Value;

    internal SlotWord(long value) => Value = value;

    internal static SlotWord Pack(ulong lowGeneration, bool live, bool retired, bool writer, long readers, bool poisoned = false)
    {
        long v = (long)(lowGeneration << GenerationShift) | readers
            | (live ? LiveBit : 0)
            | (retired ? RetiredBit : 0)
            | (poisoned ? PoisonedBit : 0)
            | (writer ? WriterBit : 0);
        return new SlotWord(v);
    }

    /// <summary>The generation modulo 2^38.</summary>
    internal ulong LowGeneration
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (ulong)Value >> GenerationShift;
    }

    /// <summary>The bits that hold an exclusive hold's ticket while <see cref="WriterBit"/> is set (the reader bits).</summary>
    internal const long TicketMask = ReaderMask;

    private const int TicketPeriodBits = 20;

    /// <summary>The ticket a write guard's hold stamps into the word: the low 20 bits of its hold number with
    /// bit 20 set, so never 0 (no guard matches a hold being taken or released); it repeats every 2^20 holds
    /// of one slot (docs/invariants.md, I5: what that bounds).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long TicketOf(long hold) => (hold & ((1L << TicketPeriodBits) - 1)) | (1L << TicketPeriodBits);

    /// <summary>Read guards held (0 while an exclusive holder has the slot: the bits are its ticket then).</summary>
    internal long Readers => HasWriter ? 0 : Value & ReaderMask;

    /// <summary>The exclusive hold's ticket (0 when no one holds the slot exclusively, or the hold has none).</summary>
    internal long Ticket => HasWriter ? Value & TicketMask : 0;

    internal bool HasWriter => (Value & WriterBit) != 0;

    internal bool IsLive => (Value & LiveBit) != 0;

    internal bool IsRetired => (Value & RetiredBit) != 0;

    internal bool IsPoisoned => (Value & PoisonedBit) != 0;

    /// <summary>The epoch part of a whole generation.</summary>
    internal static uint EpochOf(UInt128 generation) => (uint)(generation >> LowGenerationBits);

    /// <summary>The low part of a whole generation.</summary>
    internal static ulong LowOf(UInt128 generation) => (ulong)generation & MaxLowGeneration;

    /// <summary>The whole generation of an epoch and a low part.</summary>
    internal static UInt128 Join(uint epoch, ulong low) => ((UInt128)epoch << LowGenerationBits) | low;

    public override string ToString() =>
        $"low gen={LowGeneration} live={IsLive} retired={IsRetired} poisoned={IsPoisoned} writer={HasWriter} {(HasWriter ? $"ticket={Ticket}" : $"readers={Readers}")}";
}
