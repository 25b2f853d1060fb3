namespace ManagerVerified.Seam;

/// <summary>Marks shared state of the core (a field, or an accessor that returns a reference into it): every
/// read and write of it goes through the concurrency seam, which the analyzer MV0100 enforces, so every access is
/// one the model checker schedules and the race detector sees. The accessor itself and the type's constructors
/// (before the manager is shared) may touch it directly.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Method | AttributeTargets.Property, Inherited = false)]
internal sealed class SharedStateAttribute : Attribute
{
}

/// <summary>Marks a member no operation calls (construction, tests, snapshots, diagnostics), which may read shared
/// state directly (MV0100 allows it): its accesses are no steps of any operation, so no checker needs them.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Property, Inherited = false)]
internal sealed class InspectionAttribute : Attribute
{
}
