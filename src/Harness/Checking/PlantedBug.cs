namespace ManagerVerified.Harness.Checking;

/// <summary>
/// Configurations that make a correct manager unsafe on purpose: ABA tags narrower than production
/// ever builds, to show that tag wraparound is a real bug and that the ABA monitor sees it. Bugs in the
/// core's code are not planted here but as source mutants (tests/Mutants, the runner's --mutants).
/// </summary>
public enum PlantedBug
{
    /// <summary>The production configuration.</summary>
    None = 0,

    /// <summary>The head tag has 0 bits: every ABA succeeds.</summary>
    TagZeroBits,

    /// <summary>The head tag has 1-3 bits and wraps around (the scenario's TagBits chooses the width).</summary>
    NarrowTagWraps,
}
