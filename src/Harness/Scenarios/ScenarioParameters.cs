using ManagerVerified.Core;
using ManagerVerified.Verification;
using ManagerVerified.Harness.Checking;
using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Harness.Scenarios;

/// <summary>The knobs every scenario takes.</summary>
/// <param name="Capacity">Slots in the manager (1 to 64 for checked runs).</param>
/// <param name="Tasks">Concurrent tasks (1 to 16).</param>
/// <param name="Operations">Operations (or rounds, as the scenario says) per task (1 to 10,000).</param>
/// <param name="TagBits">A narrow head tag of 0-4 bits, or null for the production width.</param>
/// <param name="StartTag">The head tag to start from (to reach the wraparound quickly).</param>
/// <param name="Bug">The planted bug, or <see cref="PlantedBug.None"/>.</param>
/// <param name="Seed">Seeds the scenario's own choices (which operation, which token); interleavings belong to the scheduler.</param>
/// <param name="StartGeneration">The generation every slot issues first (0: the production first generation, 1).</param>
/// <param name="Shards">Free-list shards (1 to the capacity); each store starts at a shard the scheduler chooses.</param>
/// <param name="StartHold">Every slot's last write hold number at the start (0: none yet), so the next holds' tickets are
/// the ones after it: 2^20 - 2 reaches the ticket whose bits are all ones (the reader limit's value) in one write.</param>
/// <param name="DiagnosticMode">Diagnostic mode's bookkeeping on: every guard is recorded (and released through its record,
/// so a copy's second release is refused before it touches the slot), every store and free too, as
/// <see cref="ConcurrentMemoryManagerOptions.DiagnosticMode"/> does; its records are state the tasks share.</param>
public sealed record ScenarioParameters(
    int Capacity,
    int Tasks,
    int Operations,
    int? TagBits = null,
    ulong StartTag = 0,
    PlantedBug Bug = PlantedBug.None,
    int Seed = 1,
    UInt128 StartGeneration = default,
    int Shards = 1,
    long StartHold = 0,
    bool DiagnosticMode = false)
{
    /// <summary>The generation every slot issues first.</summary>
    public UInt128 FirstGeneration => StartGeneration == 0 ? SlotWord.FirstGeneration : StartGeneration;

    /// <summary>Throws <see cref="ArgumentException"/> with a one-line reason when a knob is out of range.</summary>
    public void Validate()
    {
        if (Capacity is < 1 or > 64)
        {
            throw new ArgumentException($"capacity must be 1-64 for a checked run, not {Capacity}");
        }

        if (Tasks is < 1 or > 16)
        {
            throw new ArgumentException($"tasks must be 1-16, not {Tasks}");
        }

        if (Operations is < 1 or > 10_000)
        {
            throw new ArgumentException($"operations must be 1-10000, not {Operations}");
        }

        if (TagBits is < 0 or > VerificationManagers.MaxNarrowTagBits)
        {
            throw new ArgumentException($"tag bits must be 0-{VerificationManagers.MaxNarrowTagBits} (or the production width), not {TagBits}");
        }

        if (Shards < 1 || Shards > Capacity)
        {
            throw new ArgumentException($"shards must be 1 to the capacity, not {Shards}");
        }

        if (TagBits is int bits && StartTag > (1UL << bits) - 1)
        {
            throw new ArgumentException($"start tag {StartTag} does not fit in {bits} tag bits");
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"capacity={Capacity} tasks={Tasks} ops={Operations} tag={(TagBits is int b ? $"{b}b" : "full")}"
        + (StartTag != 0 ? $" startTag={StartTag}" : string.Empty)
        + (StartGeneration != 0 ? $" startGeneration={StartGeneration}" : string.Empty)
        + (Shards != 1 ? $" shards={Shards}" : string.Empty)
        + (StartHold != 0 ? $" startHold={StartHold}" : string.Empty)
        + (DiagnosticMode ? " diagnostic" : string.Empty)
        + (Bug != PlantedBug.None ? $" bug={Bug}" : string.Empty);
}
