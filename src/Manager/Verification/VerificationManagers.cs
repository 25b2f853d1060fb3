using ManagerVerified.Core;
using ManagerVerified.Seam;

namespace ManagerVerified.Verification;

/// <summary>
/// Verification-only construction of managers: any seam, a deliberately narrow ABA tag, a chosen
/// starting tag and generation, a chosen identity (0: the next process-wide one), a chosen shard count (default 1). Internal (visible to the specification and the tests only), so a
/// production caller cannot pick a narrow tag by accident.
/// </summary>
internal static class VerificationManagers
{
    /// <summary>The widest tag <see cref="CreateNarrowTag"/> accepts.</summary>
    internal const int MaxNarrowTagBits = 4;

    /// <summary>A manager with the production layout (full-width tag) on any seam.</summary>
    internal static SlotManager<TPayload, TSeam> Create<TPayload, TSeam>(
        int capacity, TSeam seam, ulong startTag = 0, UInt128? startGeneration = null, uint managerId = 0, int shards = 1)
        where TSeam : struct, IConcurrencySeam
    {
        ValidateCapacity(capacity);
        return new SlotManager<TPayload, TSeam>(capacity, MemoryClass.Host, seam, HeadLayout.ForCapacity(capacity), startTag, startGeneration ?? SlotWord.FirstGeneration, managerId, shards);
    }

    /// <summary>A manager whose head tag has only <paramref name="tagBits"/> bits (0 to 4), so ABA is reachable.</summary>
    internal static SlotManager<TPayload, TSeam> CreateNarrowTag<TPayload, TSeam>(
        int capacity, TSeam seam, int tagBits, ulong startTag = 0, UInt128? startGeneration = null, uint managerId = 0, int shards = 1)
        where TSeam : struct, IConcurrencySeam
    {
        ValidateCapacity(capacity);
        ArgumentOutOfRangeException.ThrowIfNegative(tagBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tagBits, MaxNarrowTagBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(startTag, (1UL << tagBits) - 1, nameof(startTag));
        var layout = new HeadLayout(HeadLayout.IndexBitsFor(capacity), tagBits);
        return new SlotManager<TPayload, TSeam>(capacity, MemoryClass.Host, seam, layout, startTag, startGeneration ?? SlotWord.FirstGeneration, managerId, shards);
    }

    /// <summary>The public surface over a production-seam core built here.</summary>
    internal static ConcurrentMemoryManager<TPayload> Public<TPayload>(SlotManager<TPayload, ProductionSeam> core) => new(core, new ConcurrentMemoryManagerOptions());

    private static void ValidateCapacity(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1 << MessageToken.IndexBits);
    }
}
