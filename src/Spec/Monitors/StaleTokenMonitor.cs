using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Spec.Monitors;

/// <summary>
/// Stale-token safety: once Free of a token has completed, every later operation with that token
/// fails with <see cref="MemoryError.StaleToken"/> (or <see cref="MemoryError.NotAllocated"/> for Free),
/// and no token ever reaches a message that another Store created.
/// </summary>
public sealed class StaleTokenMonitor : ManagerMonitor
{
    // Per slot: the highest generation whose Free has completed (generations are freed in order), counted
    // from the first generation the slots issue (1 is the first), so a run that starts at the last of the
    // 70-bit generations still fits a word that Interlocked can update.
    private readonly long[] _freedUpTo;
    private readonly UInt128 _first;

    /// <summary>A monitor for slots that issue <paramref name="firstGeneration"/> first (0: the production first, 1).</summary>
    public StaleTokenMonitor(ViolationSink sink, int capacity, UInt128 firstGeneration = default)
        : base(sink, capacity)
    {
        _freedUpTo = new long[capacity];
        _first = firstGeneration == 0 ? 1 : firstGeneration;
    }

    /// <inheritdoc />
    public override SpecProperty Property => SpecProperty.StaleToken;

    /// <summary>Whether a Free of <paramref name="token"/> has completed (or its generation is before the first
    /// the slots issue in this run).</summary>
    public bool IsFreed(MessageToken token) =>
        token.Index < Capacity && Ordinal(token) is long n && n <= Volatile.Read(ref _freedUpTo[token.Index]);

    /// <summary>The token's generation counted from the first (1 for the first); 0 for one before it, which
    /// the slot is taken to have issued and freed before the run (as the specification takes it); null for
    /// generation 0 or one too far beyond the first to be issued in a run (a made-up token).</summary>
    private long? Ordinal(MessageToken token) =>
        token.Generation == 0 ? null
        : token.Generation < _first ? 0
        : token.Generation - _first < long.MaxValue ? (long)(token.Generation - _first) + 1
        : null;

    /// <inheritdoc />
    public override void OnTokenOperation(OperationKind operation, MessageToken token, bool freedBeforeStart, MemoryError result)
    {
        if (operation == OperationKind.Free && result == MemoryError.None && Ordinal(token) is long generation)
        {
            ref long slot = ref _freedUpTo[token.Index];
            long seen = Volatile.Read(ref slot);
            while (seen < generation)
            {
                long prior = Interlocked.CompareExchange(ref slot, generation, seen);
                if (prior == seen)
                {
                    break;
                }

                seen = prior;
            }
        }

        if (!freedBeforeStart)
        {
            return;
        }

        MemoryError expected = operation == OperationKind.Free ? MemoryError.NotAllocated : MemoryError.StaleToken;
        if (result != expected)
        {
            Fail($"{operation} with {token}, whose Free had completed before it began, returned {result} instead of {expected}");
        }
    }

    /// <inheritdoc />
    public override void OnHeaderObserved(MessageToken token, long expectedOwner, in MessageHeader header)
    {
        if ((long)header.TraceId != expectedOwner && CheckedPayload.DescribeHeaderDamage(header) is null)
        {
            Fail($"{token}, stored by owner {expectedOwner}, copied the header of owner {header.TraceId}");
        }
    }

    /// <inheritdoc />
    public override void OnMessageObserved(MessageToken token, long expectedOwner, in Message<CheckedPayload> message)
    {
        if (message.Payload.Owner != expectedOwner)
        {
            Fail($"{token}, stored by owner {expectedOwner}, reached a message of owner {message.Payload.Owner}");
        }
    }
}
