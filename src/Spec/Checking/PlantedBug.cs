namespace ManagerVerified.Spec.Checking;

/// <summary>
/// Bugs the harness plants, one at a time, through the checked seam or the verification-only
/// factory, to show that each check can fail. None of them exists in production code.
/// </summary>
public enum PlantedBug
{
    /// <summary>The correct manager.</summary>
    None = 0,

    /// <summary>1. The head tag has 0 bits: every ABA succeeds (factory).</summary>
    TagZeroBits,

    /// <summary>2. The head tag has 1-3 bits and wraps around (factory; the scenario's TagBits chooses the width).</summary>
    NarrowTagWraps,

    /// <summary>3. The head CAS compares only the index bits, ignoring the tag (seam).</summary>
    HeadCasComparesIndexOnly,

    /// <summary>4. The head CAS is a load, a scheduling point and a store (seam).</summary>
    HeadCasNotAtomic,

    /// <summary>5. The available count update is a load, a scheduling point and a store (seam).</summary>
    CountUpdateNotAtomic,

    /// <summary>6. A writer (or free) enters while readers hold the slot (seam: write admission ignores readers).</summary>
    WriterIgnoresReaders,

    /// <summary>7. A reader enters while a writer holds the slot (seam: read admission ignores the writer).</summary>
    ReaderIgnoresWriter,

    /// <summary>8. Free does not advance the slot's generation (seam: NextGeneration returns the same generation).</summary>
    GenerationNotAdvanced,

    /// <summary>9. The optimistic header copy skips its re-check (seam: RecheckOptimisticCopy is false).</summary>
    HeaderCopySkipsRecheck,
}
