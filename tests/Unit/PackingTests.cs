using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using ManagerVerified.Core;

namespace ManagerVerified.Tests.Unit;

/// <summary>Round trips of every packed word: the head, the token, the slot word.</summary>
public sealed class PackingTests
{
    [Property(MaxTest = 500)]
    public bool HeadWord_PackUnpack_RoundTrips(PositiveInt capacitySeed, NonNegativeInt topSeed, ulong tag, byte narrow)
    {
        int capacity = 1 + (capacitySeed.Get % (1 << 24));
        int top = topSeed.Get % (capacity + 1);
        HeadLayout layout = narrow % 2 == 0
            ? HeadLayout.ForCapacity(capacity)
            : new HeadLayout(HeadLayout.IndexBitsFor(capacity), narrow % 5);
        long head = layout.Pack(top, tag);
        return layout.EncodedTop(head) == top
            && layout.Tag(head) == (tag & layout.TagMask)
            && layout.EncodedTop(layout.Advance(head, top)) == top
            && layout.Tag(layout.Advance(head, top)) == ((tag + 1) & layout.TagMask);
    }

    [Fact]
    public void HeadLayout_ProductionTag_NeverNarrowerThan39Bits()
    {
        Assert.Equal(63, HeadLayout.ForCapacity(1).TagBits);
        Assert.Equal(61, HeadLayout.ForCapacity(4).TagBits);
        Assert.Equal(39, HeadLayout.ForCapacity(ConcurrentMemoryManager<int>.MaxCapacity).TagBits);
    }

    [Fact]
    public void HeadLayout_TagAtMaximum_WrapsToZero()
    {
        HeadLayout layout = HeadLayout.ForCapacity(4);
        long head = layout.Pack(3, layout.TagMask);
        Assert.Equal(0UL, layout.Tag(layout.Advance(head, 2)));
        Assert.Equal(2, layout.EncodedTop(layout.Advance(head, 2)));
    }

    [Property(MaxTest = 500)]
    public bool Token_PackUnpack_RoundTrips(NonNegativeInt index, ulong lowSeed, uint epoch, uint managerId)
    {
        int i = index.Get % (1 << 24);
        UInt128 generation = SlotWord.Join(epoch, lowSeed % (SlotWord.MaxLowGeneration + 1));
        if (generation == 0)
        {
            generation = 1;
        }

        var token = new MessageToken(i, generation, managerId);
        MessageToken back = MessageToken.FromRawValue(token.RawValue);
        return token.Index == i && token.Generation == generation && token.ManagerId == managerId && token.Epoch == epoch
            && back == token && back.GetHashCode() == token.GetHashCode();
    }

    [Fact]
    public void Token_Default_HasGenerationZeroAndNoManager() =>
        Assert.Equal((UInt128.Zero, 0u), (default(MessageToken).Generation, default(MessageToken).ManagerId));

    [Fact]
    public void Token_TheLastGeneration_RoundTrips()
    {
        var token = new MessageToken(MessageToken.IndexMask, SlotWord.MaxGeneration, uint.MaxValue);
        Assert.Equal((MessageToken.IndexMask, SlotWord.MaxGeneration, uint.MaxValue), (token.Index, token.Generation, token.ManagerId));
        Assert.Equal(token, MessageToken.FromRawValue(token.RawValue));
    }

    [Property(MaxTest = 500)]
    public bool SlotWord_PackUnpack_RoundTrips(ulong generationSeed, bool live, bool retired, bool writer, bool poisoned, NonNegativeInt readersSeed)
    {
        ulong low = generationSeed % (SlotWord.MaxLowGeneration + 1);
        long readers = readersSeed.Get % (SlotWord.MaxReaders + 1);
        SlotWord word = SlotWord.Pack(low, live, retired, writer, readers, poisoned);
        return word.LowGeneration == low && word.IsLive == live && word.IsRetired == retired
            && word.HasWriter == writer && word.IsPoisoned == poisoned
            && (writer ? word.Ticket == readers && word.Readers == 0 : word.Readers == readers && word.Ticket == 0);
    }

    [Property(MaxTest = 500)]
    public bool SlotWord_TicketOf_IsNeverZero_FitsTheTicketBits_AndRepeatsEvery2To20Holds(long hold) =>
        SlotWord.TicketOf(hold) != 0
        && (SlotWord.TicketOf(hold) & ~SlotWord.TicketMask) == 0
        && SlotWord.TicketOf(hold) == SlotWord.TicketOf(hold + (1L << 20))
        && SlotWord.TicketOf(hold) != SlotWord.TicketOf(hold + 1);

    [Fact]
    public void SlotWord_GenerationField_MatchesTokenField()
    {
        // The token keeps the low generation at the slot word's position, and 1000 years at one
        // Store+Free per nanosecond fit in the whole generation (issue 12: at least 1,000 years).
        var token = new MessageToken(3, SlotWord.Join(1, SlotWord.MaxLowGeneration), 1);
        Assert.Equal(SlotWord.MaxLowGeneration, token.LowGeneration);
        Assert.True(MessageToken.IndexBits <= SlotWord.GenerationShift);
        double years = (double)SlotWord.MaxGeneration / 1e9 / (365.25 * 24 * 3600);
        Assert.True(years >= 1000, $"{years:N0} years");
    }
}
