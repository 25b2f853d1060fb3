using ManagerVerified.Harness.Scenarios;
using ManagerVerified.Core;
using ManagerVerified.Verification;

namespace ManagerVerified.Harness.Checking;

/// <summary>Builds the manager a checked run explores: the production core on the checked seam,
/// with the head layout that the planted bug (if any) asks for.</summary>
internal static class CheckedManagers
{
    /// <summary>Every checked manager's identity: fixed, so a run and its replay (in another process, or
    /// after other managers were made) see the same tokens, and one no constructed manager takes (ManagerIdentity.Reserved);
    /// scenarios make foreign tokens with Id + 1, also reserved.</summary>
    internal const uint Identity = ManagerIdentity.Reserved;

    internal static SlotManager<CheckedPayload, CheckedSeam> Create(ScenarioParameters parameters, VerificationContext context)
    {
        var seam = new CheckedSeam(context);
        int? tagBits = parameters.Bug == PlantedBug.TagZeroBits ? 0 : parameters.TagBits;
        SlotManager<CheckedPayload, CheckedSeam> manager = tagBits is int bits
            ? VerificationManagers.CreateNarrowTag<CheckedPayload, CheckedSeam>(parameters.Capacity, seam, bits, parameters.StartTag, parameters.FirstGeneration, Identity, parameters.Shards)
            : VerificationManagers.Create<CheckedPayload, CheckedSeam>(parameters.Capacity, seam, parameters.StartTag, parameters.FirstGeneration, Identity, parameters.Shards);
        if (parameters.StartHold != 0)
        {
            manager.StartHoldsAt(parameters.StartHold);
        }

        context.Locations = new LocationMap(manager);
        context.Shards = manager.Shards;
        context.ManagerCreated(manager.SnapshotQuiescent());
        return manager;
    }
}
