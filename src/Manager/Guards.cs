using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace ManagerVerified;

/// <summary>Releases slot locks for guards. Implemented by the manager core.</summary>
internal interface ISlotLockOwner
{
    /// <summary>Releases a read borrow taken with <paramref name="token"/> (<paramref name="ticket"/>: diagnostic
    /// mode's record of it, or 0); false (and nothing changed) when the slot holds no read borrow of that generation.</summary>
    bool ExitRead(MessageToken token, int ticket);

    /// <summary>Releases the write borrow <paramref name="hold"/> (its number) taken with <paramref name="token"/>:
    /// published when committed, else the slot is poisoned; false (and nothing changed) when the slot is not in that
    /// hold (it was released, by the guard or a copy of it, and maybe taken again).</summary>
    bool ExitWrite(MessageToken token, long hold, int ticket);

    /// <summary>Marks the write borrow <paramref name="hold"/> taken with <paramref name="token"/> as complete;
    /// false (and nothing changed) when the slot is not in that hold.</summary>
    bool CommitWrite(MessageToken token, long hold);
}

/// <summary>
/// A shared (read) borrow of one stored message. Other readers may hold the same slot; writers and
/// frees of that slot wait until it is disposed. Use with <c>using</c>; disposing twice is harmless.
/// </summary>
/// <typeparam name="TPayload">The payload type.</typeparam>
/// <remarks>A ref struct: it cannot be stored on the heap, outlive its scope or cross an <c>await</c>.
/// Do not copy it: a copy released after the guard is refused (<see cref="MemoryError.NotBorrowed"/>),
/// unless another borrow of the same generation holds the slot, whose release it would then take.</remarks>
public ref struct ReadGuard<TPayload>
{
    private ISlotLockOwner? _owner;
    private readonly ref Message<TPayload> _value;
    private readonly MessageToken _token;
    private readonly int _ticket;

    internal ReadGuard(ISlotLockOwner owner, ref Message<TPayload> value, MessageToken token, int ticket = 0)
    {
        _owner = owner;
        _value = ref value;
        _token = token;
        _ticket = ticket;
    }

    /// <summary>The same borrow, released through <paramref name="owner"/> (diagnostic mode's tracking).</summary>
    internal readonly ReadGuard<TPayload> Tracked(ISlotLockOwner owner, int ticket) => new(owner, ref _value, _token, ticket);

    /// <summary>Diagnostic mode's ticket of this guard (0 in production; the harness makes copies of the guard from it).</summary>
    internal readonly int Ticket => _ticket;

    /// <summary>The borrowed message. Throws <see cref="ObjectDisposedException"/> after the guard is disposed.</summary>
    public readonly ref readonly Message<TPayload> Value
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (_owner is null)
            {
                GuardThrow.Disposed();
            }

            return ref _value;
        }
    }

    /// <summary>Releases the read lock. Harmless when already released.</summary>
    public void Dispose()
    {
        ISlotLockOwner? owner = _owner;
        if (owner is not null)
        {
            _owner = null;
            if (!owner.ExitRead(_token, _ticket))
            {
                GuardThrow.NotBorrowed();
            }
        }
    }
}

/// <summary>
/// An exclusive (write) borrow of one stored message. Use with <c>using</c>, and call <see cref="Commit"/>
/// when the write is complete: disposing publishes a committed write; a guard disposed without
/// <see cref="Commit"/> (an exception left the scope, or an early return) poisons the slot, so nobody reads
/// a half-written message. Disposing twice is harmless.
/// </summary>
/// <example><code>
/// using (var guard = manager.Write(token))
/// {
///     guard.Value.Payload = Compute();   // may throw: the slot is then poisoned, not half-published
///     guard.Commit();
/// }
/// </code>
/// Reads, writes and header copies of a poisoned message get <see cref="MemoryError.Poisoned"/> until the
/// owner replaces the whole message (<see cref="ConcurrentMemoryManager{TPayload}.Replace(MessageToken, Message{TPayload})"/>) or frees it.</example>
/// <typeparam name="TPayload">The payload type.</typeparam>
/// <remarks>A ref struct: it cannot be stored on the heap, outlive its scope or cross an <c>await</c>.
/// Do not copy it (the package's analyzer, MV0001, makes every copy a compile error). A copy that gets past the
/// analyzer still owns nothing but this guard's borrow: each write borrow is a hold with its own number, and only
/// the first release (or commit) of that hold, by the guard or a copy, on any thread, is accepted; one after it, or
/// during any other borrow or free of the slot, is refused (<see cref="MemoryError.NotBorrowed"/>) and changes nothing
/// (docs/invariants.md, I5, for the bound).</remarks>
public ref struct WriteGuard<TPayload>
{
    private ISlotLockOwner? _owner;
    private readonly ref Message<TPayload> _value;
    private readonly MessageToken _token;
    private readonly long _hold;
    private readonly int _ticket;

    internal WriteGuard(ISlotLockOwner owner, ref Message<TPayload> value, MessageToken token, long hold, int ticket = 0)
    {
        _owner = owner;
        _value = ref value;
        _token = token;
        _hold = hold;
        _ticket = ticket;
    }

    /// <summary>The same borrow, released through <paramref name="owner"/> (diagnostic mode's tracking).</summary>
    internal readonly WriteGuard<TPayload> Tracked(ISlotLockOwner owner, int ticket) => new(owner, ref _value, _token, _hold, ticket);

    /// <summary>The number of this guard's hold (the harness makes copies of the guard on other tasks from it).</summary>
    internal readonly long Hold => _hold;

    /// <summary>Diagnostic mode's ticket of this guard (0 in production).</summary>
    internal readonly int Ticket => _ticket;

    /// <summary>The borrowed message, writable in place. Throws <see cref="ObjectDisposedException"/> after the guard is disposed.</summary>
    public readonly ref Message<TPayload> Value
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (_owner is null)
            {
                GuardThrow.Disposed();
            }

            return ref _value;
        }
    }

    /// <summary>Marks the write complete: <see cref="Dispose"/> then publishes it instead of poisoning the
    /// slot. Call it last in the write scope; calling it again is harmless.</summary>
    /// <exception cref="ObjectDisposedException">The guard has been disposed.</exception>
    /// <exception cref="MemoryManagerException">The guard is a copy whose borrow was already released (<see cref="MemoryError.NotBorrowed"/>).</exception>
    public readonly void Commit()
    {
        ISlotLockOwner? owner = _owner;
        if (owner is null)
        {
            GuardThrow.Disposed();
        }

        if (!owner.CommitWrite(_token, _hold))
        {
            GuardThrow.NotBorrowed();
        }
    }

    /// <summary>Releases the write lock: publishes a committed write, or poisons the slot when <see cref="Commit"/>
    /// was not called. Harmless when already released.</summary>
    public void Dispose()
    {
        ISlotLockOwner? owner = _owner;
        if (owner is not null)
        {
            _owner = null;
            if (!owner.ExitWrite(_token, _hold, _ticket))
            {
                GuardThrow.NotBorrowed();
            }
        }
    }
}

/// <summary>
/// A shared borrow of one stored message's header (a read lock on the slot). Use with <c>using</c>;
/// disposing twice is harmless.
/// </summary>
/// <remarks>A ref struct: it cannot be stored on the heap, outlive its scope or cross an <c>await</c>.
/// Do not copy it: a copy released after the guard is refused (<see cref="MemoryError.NotBorrowed"/>),
/// unless another borrow of the same generation holds the slot, whose release it would then take.</remarks>
public ref struct HeaderGuard
{
    private ISlotLockOwner? _owner;
    private readonly ref MessageHeader _value;
    private readonly MessageToken _token;
    private readonly int _ticket;

    internal HeaderGuard(ISlotLockOwner owner, ref MessageHeader value, MessageToken token, int ticket = 0)
    {
        _owner = owner;
        _value = ref value;
        _token = token;
        _ticket = ticket;
    }

    /// <summary>The same borrow, released through <paramref name="owner"/> (diagnostic mode's tracking).</summary>
    internal readonly HeaderGuard Tracked(ISlotLockOwner owner, int ticket) => new(owner, ref _value, _token, ticket);

    /// <summary>The borrowed header. Throws <see cref="ObjectDisposedException"/> after the guard is disposed.</summary>
    public readonly ref readonly MessageHeader Value
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (_owner is null)
            {
                GuardThrow.Disposed();
            }

            return ref _value;
        }
    }

    /// <summary>Releases the read lock. Harmless when already released.</summary>
    public void Dispose()
    {
        ISlotLockOwner? owner = _owner;
        if (owner is not null)
        {
            _owner = null;
            if (!owner.ExitRead(_token, _ticket))
            {
                GuardThrow.NotBorrowed();
            }
        }
    }
}

internal static class GuardThrow
{
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void Disposed() =>
        throw new ObjectDisposedException("guard", "The guard has been disposed (or was never acquired); its slot is no longer borrowed.");

    /// <summary>A release that matched no borrow: a copy of a guard released after the guard itself (or
    /// after the slot was freed). Nothing was changed.</summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void NotBorrowed() => throw new MemoryManagerException(MemoryError.NotBorrowed);
}
