using ManagerVerified.Core;
using ManagerVerified.Verification;
using ManagerVerified.Spec.Checking;

namespace ManagerVerified.Spec.Monitors;

/// <summary>
/// A specification monitor: one property of the manager, checked from the checked seam's hooks,
/// from the scenario driver's operation results and at quiescence. The same monitor objects run
/// under Coyote and on real threads, so every hook is thread-safe and lock-free.
/// </summary>
public abstract class ManagerMonitor
{
    private readonly ViolationSink _sink;

    /// <summary>Creates a monitor for a manager of <paramref name="capacity"/> slots.</summary>
    protected ManagerMonitor(ViolationSink sink, int capacity)
    {
        _sink = sink;
        Capacity = capacity;
    }

    /// <summary>The property this monitor checks; every report names it.</summary>
    public abstract SpecProperty Property { get; }

    /// <summary>The capacity of the monitored manager.</summary>
    protected int Capacity { get; }

    /// <summary>Reports a violation of <see cref="Property"/>.</summary>
    protected void Fail(string details) => _sink.Report(Property, details);

    /// <summary>After a successful pop of <paramref name="index"/>.</summary>
    public virtual void OnSlotTaken(int index, int installedTop, int link)
    {
    }

    /// <summary>Before <paramref name="index"/> is pushed.</summary>
    public virtual void OnSlotReturning(int index)
    {
    }

    /// <summary>After free-list shard <paramref name="shard"/>'s available count changed to <paramref name="value"/>.</summary>
    public virtual void OnAvailableChanged(int shard, int value)
    {
    }

    /// <summary>After a read guard was taken.</summary>
    public virtual void OnReadEntered(int index)
    {
    }

    /// <summary>Before a read guard is released.</summary>
    public virtual void OnReadExiting(int index)
    {
    }

    /// <summary>After exclusive access was taken.</summary>
    public virtual void OnWriteEntered(int index)
    {
    }

    /// <summary>Before exclusive access is released.</summary>
    public virtual void OnWriteExiting(int index)
    {
    }

    /// <summary>The driver observed <paramref name="message"/> through a read guard of <paramref name="token"/>, stored by <paramref name="expectedOwner"/>.</summary>
    public virtual void OnMessageObserved(MessageToken token, long expectedOwner, in Message<CheckedPayload> message)
    {
    }

    /// <summary>The driver observed <paramref name="header"/> through an optimistic copy of <paramref name="token"/>.</summary>
    public virtual void OnHeaderObserved(MessageToken token, long expectedOwner, in MessageHeader header)
    {
    }

    /// <summary>An operation with <paramref name="token"/> completed with <paramref name="result"/>;
    /// <paramref name="freedBeforeStart"/> says whether a Free of that token had completed before it began.</summary>
    public virtual void OnTokenOperation(OperationKind operation, MessageToken token, bool freedBeforeStart, MemoryError result)
    {
    }

    /// <summary>The manager as built, before any operation. <paramref name="serialized"/>: each hook runs in the
    /// step of the access it reports (a systematic scheduler), so monitors may combine hooks into one instant.</summary>
    internal virtual void OnCreated(QuiescentSnapshot snapshot, bool serialized)
    {
    }

    /// <summary>Checks the state when no operation is in flight.</summary>
    internal virtual void CheckQuiescent(QuiescentSnapshot snapshot)
    {
    }
}

/// <summary>The operations a driver performs with a token.</summary>
public enum OperationKind
{
    /// <summary>Read or TryRead.</summary>
    Read,

    /// <summary>Write or TryWrite.</summary>
    Write,

    /// <summary>PeekHeader or TryPeekHeader.</summary>
    PeekHeader,

    /// <summary>Free or TryFree.</summary>
    Free,
}
