namespace ManagerVerified.Spec.Checking;

/// <summary>
/// The payload the checked scenarios store: who stored the message, which write produced this
/// version, and a checksum over both. With the header's <see cref="MessageHeader.TraceId"/> (owner)
/// and <see cref="MessageHeader.Sequence"/> (version) it lets a reader tell a whole message from a
/// torn or never-written one, and a message from someone else's.
/// </summary>
/// <param name="Owner">The unique id of the Store that created the message (never 0).</param>
/// <param name="Version">Which write produced this content (0 for the stored original).</param>
/// <param name="Check">The checksum of Owner and Version.</param>
public readonly record struct CheckedPayload(long Owner, long Version, long Check)
{
    /// <summary>A whole message of <paramref name="owner"/> at <paramref name="version"/>.</summary>
    public static Message<CheckedPayload> Create(long owner, long version) =>
        new(new MessageHeader { TraceId = (ulong)owner, Sequence = (ulong)version, PayloadSizeBytes = HeaderCheck(owner, version) },
            new CheckedPayload(owner, version, Checksum(owner, version)));

    /// <summary>The checksum: never 0 for a real owner, so a never-written (default) message fails it.</summary>
    public static long Checksum(long owner, long version) =>
        unchecked((long)(((ulong)owner * 0x9E3779B97F4A7C15UL) ^ ((ulong)version * 0xC2B2AE3D27D4EB4FUL) ^ 0x165667B19E3779F9UL));

    /// <summary>The header's own check field (carried in <see cref="MessageHeader.PayloadSizeBytes"/>), so a
    /// header copied alone can be told whole or torn.</summary>
    public static long HeaderCheck(long owner, long version) => Checksum(owner, version) & 0x7FFF_FFFF;

    /// <summary>Why <paramref name="header"/> is not a whole header, or null when it is.</summary>
    public static string? DescribeHeaderDamage(in MessageHeader header)
    {
        long owner = (long)header.TraceId;
        long version = (long)header.Sequence;
        if (owner == 0)
        {
            return "never written (owner 0)";
        }

        return header.PayloadSizeBytes == HeaderCheck(owner, version)
            ? null
            : $"torn header: owner {owner} version {version} but check {header.PayloadSizeBytes} (expected {HeaderCheck(owner, version)})";
    }

    /// <summary>Why <paramref name="message"/> is not a whole message, or null when it is.</summary>
    public static string? DescribeDamage(in Message<CheckedPayload> message)
    {
        CheckedPayload p = message.Payload;
        if (p.Owner == 0)
        {
            return "never written (owner 0)";
        }

        if (p.Check != Checksum(p.Owner, p.Version))
        {
            return $"payload checksum mismatch (owner {p.Owner}, version {p.Version})";
        }

        if (message.Header.TraceId != (ulong)p.Owner || message.Header.Sequence != (ulong)p.Version || DescribeHeaderDamage(message.Header) is not null)
        {
            return $"torn: header says owner {message.Header.TraceId} version {message.Header.Sequence}, payload says owner {p.Owner} version {p.Version}";
        }

        return null;
    }
}
