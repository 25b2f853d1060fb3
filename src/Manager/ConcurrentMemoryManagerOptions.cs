namespace ManagerVerified;

/// <summary>Optional settings of a <see cref="ConcurrentMemoryManager{TPayload}"/>.</summary>
public sealed class ConcurrentMemoryManagerOptions
{
    /// <summary>The memory class of the messages the manager holds.</summary>
    public MemoryClass MemoryClass { get; init; } = MemoryClass.Host;

    /// <summary>A name for metrics: counters are tagged with it, and only named managers publish
    /// the <c>managerverified.available</c> and <c>managerverified.capacity</c> gauges.</summary>
    public string? Name { get; init; }

    /// <summary>
    /// Track every outstanding token with the stack trace of its Store, and the stack of the last Free
    /// of every slot. <see cref="ConcurrentMemoryManager{TPayload}.CheckForLeaks"/> and
    /// <see cref="ConcurrentMemoryManager{TPayload}.Dispose"/> then report leaked tokens, and a double free
    /// or a stale use says where the token was freed. Costs a stack trace per Store and Free: for
    /// development and tests, not production.
    /// </summary>
    /// <remarks>Diagnostic mode also records the acquire stack of every guard, and reports (through
    /// <see cref="ConcurrentMemoryManager{TPayload}.Diagnostic"/> and
    /// <see cref="ConcurrentMemoryManager{TPayload}.GetLongHeldGuards"/>) guards held longer than
    /// <see cref="GuardHoldThreshold"/>: the usual cause of a Free or Write that never returns.</remarks>
    public bool DiagnosticMode { get; init; }

    /// <summary>In diagnostic mode: how long a guard may be held before it is reported, with its acquire
    /// stack. Checked every threshold, so a report comes between one and two thresholds after the acquire.
    /// Default 10 seconds.</summary>
    public TimeSpan GuardHoldThreshold { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock the timed members measure their timeouts on, and the clock and timers diagnostic mode
    /// uses for long-held guards (default <see cref="TimeProvider.System"/>); tests pass their own to control
    /// time: a timeout expires, and a long-held guard is reported, only when that clock says so.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>
    /// How many shards the free-list has: 1 to the capacity, at most 64. 0 (the default) picks one per
    /// processor. Each slot belongs to one shard (a block of neighbouring slots) and a Free always returns it
    /// there; a store starts at the shard of the processor it runs on and takes from the others only when that
    /// one is empty, so stores and frees on different cores touch different cache lines. 1 gives a single list,
    /// a stack (the slot freed last is stored first; the lowest slot first while nothing was freed), for tests
    /// that want a predictable order.
    /// </summary>
    public int FreeListShards { get; init; }
}
