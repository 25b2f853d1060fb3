using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace ManagerVerified;

/// <summary>Releases slot locks for guards. Implemented by the manager core.</summary>
internal interface ISlotLockOwner
{
    /// <summary>Releases a read borrow of <paramref name="index"/> taken with <paramref name="generation"/>;
    /// false (and nothing changed) when the slot holds no read borrow of that generation.</summary>
    bool ExitRead(int index, ulong generation);

    /// <summary>Releases the write borrow of <paramref name="index"/> taken with <paramref name="generation"/>;
    /// false (and nothing changed) when the slot holds no exclusive borrow of that generation.</summary>
    bool ExitWrite(int index, ulong generation);
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
    private readonly int _index;
    private readonly ulong _generation;

    internal ReadGuard(ISlotLockOwner owner, ref Message<TPayload> value, int index, ulong generation)
    {
        _owner = owner;
        _value = ref value;
        _index = index;
        _generation = generation;
    }

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
            if (!owner.ExitRead(_index, _generation))
            {
                GuardThrow.NotBorrowed();
            }
        }
    }
}

/// <summary>
/// An exclusive (write) borrow of one stored message. Use with <c>using</c>; disposing twice is
/// harmless. An exception thrown inside the <c>using</c> scope still releases the slot.
/// </summary>
/// <typeparam name="TPayload">The payload type.</typeparam>
/// <remarks>A ref struct: it cannot be stored on the heap, outlive its scope or cross an <c>await</c>.
/// Do not copy it: a copy released after the guard is refused (<see cref="MemoryError.NotBorrowed"/>),
/// unless another borrow of the same generation holds the slot, whose release it would then take.</remarks>
public ref struct WriteGuard<TPayload>
{
    private ISlotLockOwner? _owner;
    private readonly ref Message<TPayload> _value;
    private readonly int _index;
    private readonly ulong _generation;

    internal WriteGuard(ISlotLockOwner owner, ref Message<TPayload> value, int index, ulong generation)
    {
        _generation = generation;
        _owner = owner;
        _value = ref value;
        _index = index;
    }

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

    /// <summary>Releases the write lock. Harmless when already released.</summary>
    public void Dispose()
    {
        ISlotLockOwner? owner = _owner;
        if (owner is not null)
        {
            _owner = null;
            if (!owner.ExitWrite(_index, _generation))
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
    private readonly int _index;
    private readonly ulong _generation;

    internal HeaderGuard(ISlotLockOwner owner, ref MessageHeader value, int index, ulong generation)
    {
        _generation = generation;
        _owner = owner;
        _value = ref value;
        _index = index;
    }

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
            if (!owner.ExitRead(_index, _generation))
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
