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
    public bool DiagnosticMode { get; init; }
}
