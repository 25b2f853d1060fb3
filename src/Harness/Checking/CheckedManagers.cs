using ManagerVerified.Harness.Scenarios;
using ManagerVerified.Core;
using ManagerVerified.Verification;

namespace ManagerVerified.Harness.Checking;

/// <summary>Builds the manager a checked run explores: the production core on the checked seam,
/// with the head layout that the planted bug (if any) asks for.</summary>
internal static class CheckedManagers
{
    internal static SlotManager<CheckedPayload, CheckedSeam> Create(ScenarioParameters parameters, VerificationContext context)
    {
        var seam = new CheckedSeam(context);
        int? tagBits = parameters.Bug == PlantedBug.TagZeroBits ? 0 : parameters.TagBits;
        SlotManager<CheckedPayload, CheckedSeam> manager = tagBits is int bits
            ? VerificationManagers.CreateNarrowTag<CheckedPayload, CheckedSeam>(parameters.Capacity, seam, bits, parameters.StartTag, parameters.FirstGeneration)
            : VerificationManagers.Create<CheckedPayload, CheckedSeam>(parameters.Capacity, seam, parameters.StartTag, parameters.FirstGeneration);
        context.Locations = new LocationMap(manager);
        return manager;
    }
}
