namespace ManagerVerified;

/// <summary>Quality-of-service class of a message.</summary>
public enum QoSClass
{
    /// <summary>Best-effort delivery (the default).</summary>
    BestEffort = 0,

    /// <summary>Latency-sensitive traffic.</summary>
    LatencySensitive = 1,

    /// <summary>Throughput-oriented bulk traffic.</summary>
    Bulk = 2,

    /// <summary>Traffic that must not be dropped.</summary>
    Critical = 3,
}

/// <summary>Per-message flags.</summary>
[Flags]
public enum MessageFlags
{
    /// <summary>No flags.</summary>
    None = 0,

    /// <summary>The message is the first of a batch.</summary>
    FirstInBatch = 1 << 0,

    /// <summary>The message is the last of a batch.</summary>
    LastInBatch = 1 << 1,

    /// <summary>The payload is compressed.</summary>
    Compressed = 1 << 2,

    /// <summary>The message is a control message rather than data.</summary>
    Control = 1 << 3,
}

/// <summary>Where a message's memory lives.</summary>
public enum MemoryClass
{
    /// <summary>Ordinary host memory.</summary>
    Host = 0,

    /// <summary>Page-locked host memory.</summary>
    PinnedHost = 1,

    /// <summary>Device memory.</summary>
    Device = 2,

    /// <summary>Memory shared between host and device.</summary>
    Shared = 3,
}

/// <summary>Metadata carried with every message.</summary>
public struct MessageHeader : IEquatable<MessageHeader>
{
    /// <summary>Identifier of the trace the message belongs to.</summary>
    public ulong TraceId { get; set; }

    /// <summary>Sequence number of the message within its stream.</summary>
    public ulong Sequence { get; set; }

    /// <summary>Creation time, in ticks of the producer's clock.</summary>
    public long CreationTick { get; set; }

    /// <summary>Optional deadline, in nanoseconds.</summary>
    public ulong? DeadlineNs { get; set; }

    /// <summary>Quality-of-service class.</summary>
    public QoSClass QoS { get; set; }

    /// <summary>Size of the payload, in bytes.</summary>
    public long PayloadSizeBytes { get; set; }

    /// <summary>Per-message flags.</summary>
    public MessageFlags Flags { get; set; }

    /// <summary>Where the message's memory lives.</summary>
    public MemoryClass MemoryClass { get; set; }

    /// <inheritdoc />
    public readonly bool Equals(MessageHeader other) =>
        TraceId == other.TraceId && Sequence == other.Sequence && CreationTick == other.CreationTick
        && DeadlineNs == other.DeadlineNs && QoS == other.QoS && PayloadSizeBytes == other.PayloadSizeBytes
        && Flags == other.Flags && MemoryClass == other.MemoryClass;

    /// <inheritdoc />
    public override readonly bool Equals(object? obj) => obj is MessageHeader other && Equals(other);

    /// <inheritdoc />
    public override readonly int GetHashCode() =>
        HashCode.Combine(TraceId, Sequence, CreationTick, DeadlineNs, QoS, PayloadSizeBytes, Flags, MemoryClass);

    /// <summary>Compares two headers field by field.</summary>
    public static bool operator ==(MessageHeader left, MessageHeader right) => left.Equals(right);

    /// <summary>Compares two headers field by field.</summary>
    public static bool operator !=(MessageHeader left, MessageHeader right) => !left.Equals(right);
}
