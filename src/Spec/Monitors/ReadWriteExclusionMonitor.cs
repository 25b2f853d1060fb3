using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Spec.Monitors;

/// <summary>
/// Read/write exclusion: no read overlaps a write (or a free) on the same slot, no two writes overlap,
/// and no read sees a torn or never-written message.
/// </summary>
/// <remarks>
/// Each slot's shadow state counts the read guards and exclusive holders between the seam's
/// entered/exiting hooks, which sit inside the real lock's critical sections, so on real threads too
/// a correct lock can never make them overlap.
/// </remarks>
public sealed class ReadWriteExclusionMonitor : ManagerMonitor
{
    // Layout per slot: bits 0..31 readers inside, bits 32..62 writers inside.
    private const long OneWriter = 1L << 32;
    private readonly long[] _inside;

    /// <inheritdoc />
    public ReadWriteExclusionMonitor(ViolationSink sink, int capacity)
        : base(sink, capacity) => _inside = new long[capacity];

    /// <inheritdoc />
    public override SpecProperty Property => SpecProperty.ReadWriteExclusion;

    /// <inheritdoc />
    public override void OnReadEntered(int index)
    {
        long now = Interlocked.Increment(ref _inside[index]);
        if (now >= OneWriter)
        {
            Fail($"a read entered slot {index} while a writer was inside ({now >> 32} writer(s), {now & 0xFFFFFFFF} reader(s))");
        }
    }

    /// <inheritdoc />
    public override void OnReadExiting(int index)
    {
        long now = Interlocked.Decrement(ref _inside[index]);
        if (now < 0 || (now & 0xFFFFFFFF) == 0xFFFFFFFF)
        {
            Fail($"a read exited slot {index} that no read had entered (a release without its borrow)");
        }
    }

    /// <inheritdoc />
    public override void OnWriteEntered(int index)
    {
        long before = Interlocked.Add(ref _inside[index], OneWriter) - OneWriter;
        if (before != 0)
        {
            Fail($"a write entered slot {index} while {before >> 32} writer(s) and {before & 0xFFFFFFFF} reader(s) were inside");
        }
    }

    /// <inheritdoc />
    public override void OnWriteExiting(int index)
    {
        if (Interlocked.Add(ref _inside[index], -OneWriter) < 0)
        {
            Fail($"a write (or free) exited slot {index} that no write had entered (a release without its borrow)");
        }
    }

    /// <inheritdoc />
    public override void OnHeaderObserved(MessageToken token, long expectedOwner, in MessageHeader header)
    {
        string? damage = CheckedPayload.DescribeHeaderDamage(header);
        if (damage is not null)
        {
            Fail($"an optimistic header copy of {token} saw a damaged header: {damage}");
        }
    }

    /// <inheritdoc />
    public override void OnMessageObserved(MessageToken token, long expectedOwner, in Message<CheckedPayload> message)
    {
        string? damage = CheckedPayload.DescribeDamage(message);
        if (damage is not null)
        {
            Fail($"a read of {token} saw a damaged message: {damage}");
        }
    }
}
