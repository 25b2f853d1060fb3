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
    public bool Token_PackUnpack_RoundTrips(NonNegativeInt index, ulong generationSeed)
    {
        int i = index.Get % (1 << 24);
        ulong generation = 1 + (generationSeed % SlotWord.MaxGeneration);
        var token = new MessageToken(i, generation);
        MessageToken back = MessageToken.FromRawValue(token.RawValue);
        return token.Index == i && token.Generation == generation && back == token && back.GetHashCode() == token.GetHashCode();
    }

    [Fact]
    public void Token_Default_HasGenerationZero() => Assert.Equal(0UL, default(MessageToken).Generation);

    [Property(MaxTest = 500)]
    public bool SlotWord_PackUnpack_RoundTrips(ulong generationSeed, bool live, bool retired, bool writer, NonNegativeInt readersSeed)
    {
        ulong generation = generationSeed % (SlotWord.MaxGeneration + 1);
        long readers = readersSeed.Get % (SlotWord.MaxReaders + 1);
        SlotWord word = SlotWord.Pack(generation, live, retired, writer, readers);
        return word.Generation == generation && word.IsLive == live && word.IsRetired == retired
            && word.HasWriter == writer && word.Readers == readers;
    }

    [Fact]
    public void SlotWord_GenerationField_MatchesTokenField() =>
        Assert.Equal(MessageToken.IndexBits, SlotWord.GenerationShift);
}
