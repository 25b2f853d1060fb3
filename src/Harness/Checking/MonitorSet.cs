using ManagerVerified.Spec.Monitors;

namespace ManagerVerified.Harness.Checking;

/// <summary>Which monitors a checked run installs.</summary>
[Flags]
public enum MonitorSet
{
    /// <summary>No monitor (for example to show that another checker alone catches a bug).</summary>
    None = 0,

    /// <summary><see cref="NoDoubleAllocationMonitor"/>.</summary>
    NoDoubleAllocation = 1 << 0,

    /// <summary><see cref="AbaSafetyMonitor"/>.</summary>
    AbaSafety = 1 << 1,

    /// <summary><see cref="AvailableCountMonitor"/>.</summary>
    AvailableCount = 1 << 2,

    /// <summary><see cref="ReadWriteExclusionMonitor"/>.</summary>
    ReadWriteExclusion = 1 << 3,

    /// <summary><see cref="StaleTokenMonitor"/>.</summary>
    StaleToken = 1 << 4,

    /// <summary>The exhaustion scenario's own check that NoFreeSlots means every slot was taken.</summary>
    StoreCompleteness = 1 << 5,

    /// <summary>The happens-before race detector (<see cref="RaceDetector"/>; systematic runs only).</summary>
    DataRace = 1 << 6,

    /// <summary>Every monitor.</summary>
    All = NoDoubleAllocation | AbaSafety | AvailableCount | ReadWriteExclusion | StaleToken | StoreCompleteness | DataRace,
}
