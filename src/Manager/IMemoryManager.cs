namespace ManagerVerified;

/// <summary>Header-only access to stored messages.</summary>
public interface IHeaderStore
{
    /// <summary>Borrows the header of the message <paramref name="token"/> names, waiting while the slot is write-locked.</summary>
    /// <param name="token">The message's token.</param>
    /// <returns>A guard holding a read lock on the slot.</returns>
    /// <exception cref="MemoryManagerException"><see cref="MemoryError.BadToken"/> or <see cref="MemoryError.StaleToken"/>.</exception>
    HeaderGuard PeekHeader(MessageToken token);

    /// <summary>Borrows the header without waiting.</summary>
    /// <param name="token">The message's token.</param>
    /// <param name="guard">The guard, when the call succeeds.</param>
    /// <param name="error"><see cref="MemoryError.None"/>, or why the call failed.</param>
    /// <returns>True on success.</returns>
    bool TryPeekHeader(MessageToken token, out HeaderGuard guard, out MemoryError error);

    /// <summary>Borrows the header, waiting while the slot is write-locked until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="token">The message's token.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>A guard holding a read lock on the slot.</returns>
    /// <exception cref="MemoryManagerException"><see cref="MemoryError.BadToken"/> or <see cref="MemoryError.StaleToken"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while the call waited; nothing was taken.</exception>
    HeaderGuard PeekHeader(MessageToken token, CancellationToken cancellationToken);

    /// <summary>Borrows the header, waiting at most <paramref name="timeout"/> while the slot is write-locked.</summary>
    /// <param name="token">The message's token.</param>
    /// <param name="timeout">How long to wait for a conflicting borrow to end: <see cref="TimeSpan.Zero"/> gives up at once, <see cref="Timeout.InfiniteTimeSpan"/> never.</param>
    /// <param name="guard">The guard, when the call succeeds.</param>
    /// <param name="error"><see cref="MemoryError.None"/>, <see cref="MemoryError.Timeout"/>, or why the call failed.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>True on success.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than infinite) or longer than <see cref="int.MaxValue"/> milliseconds.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while the call waited; nothing was taken.</exception>
    bool TryPeekHeader(MessageToken token, TimeSpan timeout, out HeaderGuard guard, out MemoryError error, CancellationToken cancellationToken = default);

    /// <summary>Copies the header without taking the slot's lock and without writing shared memory: an
    /// optimistic read that is re-checked and retried a few times. Never blocks.</summary>
    /// <param name="token">The message's token.</param>
    /// <param name="header">The header, when the call succeeds.</param>
    /// <param name="error"><see cref="MemoryError.None"/>; <see cref="MemoryError.AlreadyBorrowed"/> when writers kept
    /// changing the slot; or the token's error.</param>
    /// <returns>True on success.</returns>
    bool TryCopyHeader(MessageToken token, out MessageHeader header, out MemoryError error);
}

/// <summary>A fixed-capacity store of messages addressed by tokens.</summary>
/// <typeparam name="TPayload">The payload type.</typeparam>
public interface IMemoryManager<TPayload> : IHeaderStore
{
    /// <summary>The number of slots, fixed at construction.</summary>
    int Capacity { get; }

    /// <summary>The number of free slots (see <see cref="ConcurrentMemoryManager{TPayload}.Available"/> for its exact semantics).</summary>
    int Available { get; }

    /// <summary>The memory class of the messages this manager holds.</summary>
    MemoryClass MemoryClass { get; }

    /// <summary>Stores a message in a free slot.</summary>
    /// <param name="message">The message; copied into the slot.</param>
    /// <returns>The token that names the stored message.</returns>
    /// <exception cref="MemoryManagerException"><see cref="MemoryError.NoFreeSlots"/>.</exception>
    MessageToken Store(Message<TPayload> message);

    /// <summary>Stores a message in a free slot, without throwing.</summary>
    /// <param name="message">The message; copied into the slot.</param>
    /// <param name="token">The token, when the call succeeds.</param>
    /// <param name="error"><see cref="MemoryError.None"/> or <see cref="MemoryError.NoFreeSlots"/>.</param>
    /// <returns>True on success.</returns>
    bool TryStore(Message<TPayload> message, out MessageToken token, out MemoryError error);

    /// <summary>Borrows a message for reading, waiting while the slot is write-locked.</summary>
    /// <param name="token">The message's token.</param>
    /// <returns>A guard holding a read lock on the slot.</returns>
    /// <exception cref="MemoryManagerException"><see cref="MemoryError.BadToken"/> or <see cref="MemoryError.StaleToken"/>.</exception>
    ReadGuard<TPayload> Read(MessageToken token);

    /// <summary>Borrows a message for reading without waiting.</summary>
    /// <param name="token">The message's token.</param>
    /// <param name="guard">The guard, when the call succeeds.</param>
    /// <param name="error"><see cref="MemoryError.None"/>, or why the call failed.</param>
    /// <returns>True on success.</returns>
    bool TryRead(MessageToken token, out ReadGuard<TPayload> guard, out MemoryError error);

    /// <summary>Borrows a message for reading, waiting while the slot is write-locked until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="token">The message's token.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>A guard holding a read lock on the slot.</returns>
    /// <exception cref="MemoryManagerException"><see cref="MemoryError.BadToken"/> or <see cref="MemoryError.StaleToken"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while the call waited; nothing was taken.</exception>
    ReadGuard<TPayload> Read(MessageToken token, CancellationToken cancellationToken);

    /// <summary>Borrows a message for reading, waiting at most <paramref name="timeout"/> while the slot is write-locked.</summary>
    /// <param name="token">The message's token.</param>
    /// <param name="timeout">How long to wait for a conflicting borrow to end: <see cref="TimeSpan.Zero"/> gives up at once, <see cref="Timeout.InfiniteTimeSpan"/> never.</param>
    /// <param name="guard">The guard, when the call succeeds.</param>
    /// <param name="error"><see cref="MemoryError.None"/>, <see cref="MemoryError.Timeout"/>, or why the call failed.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>True on success.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than infinite) or longer than <see cref="int.MaxValue"/> milliseconds.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while the call waited; nothing was taken.</exception>
    bool TryRead(MessageToken token, TimeSpan timeout, out ReadGuard<TPayload> guard, out MemoryError error, CancellationToken cancellationToken = default);

    /// <summary>Borrows a message for writing, waiting while the slot is read- or write-locked.</summary>
    /// <param name="token">The message's token.</param>
    /// <returns>A guard holding the slot's write lock.</returns>
    /// <exception cref="MemoryManagerException"><see cref="MemoryError.BadToken"/> or <see cref="MemoryError.StaleToken"/>.</exception>
    WriteGuard<TPayload> Write(MessageToken token);

    /// <summary>Borrows a message for writing without waiting.</summary>
    /// <param name="token">The message's token.</param>
    /// <param name="guard">The guard, when the call succeeds.</param>
    /// <param name="error"><see cref="MemoryError.None"/>, or why the call failed.</param>
    /// <returns>True on success.</returns>
    bool TryWrite(MessageToken token, out WriteGuard<TPayload> guard, out MemoryError error);

    /// <summary>Borrows a message for writing, waiting while the slot is read- or write-locked until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="token">The message's token.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>A guard holding the slot's write lock.</returns>
    /// <exception cref="MemoryManagerException"><see cref="MemoryError.BadToken"/> or <see cref="MemoryError.StaleToken"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while the call waited; nothing was taken.</exception>
    WriteGuard<TPayload> Write(MessageToken token, CancellationToken cancellationToken);

    /// <summary>Borrows a message for writing, waiting at most <paramref name="timeout"/> while the slot is read- or write-locked.</summary>
    /// <param name="token">The message's token.</param>
    /// <param name="timeout">How long to wait for a conflicting borrow to end: <see cref="TimeSpan.Zero"/> gives up at once, <see cref="Timeout.InfiniteTimeSpan"/> never.</param>
    /// <param name="guard">The guard, when the call succeeds.</param>
    /// <param name="error"><see cref="MemoryError.None"/>, <see cref="MemoryError.Timeout"/>, or why the call failed.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>True on success.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than infinite) or longer than <see cref="int.MaxValue"/> milliseconds.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while the call waited; nothing was taken.</exception>
    bool TryWrite(MessageToken token, TimeSpan timeout, out WriteGuard<TPayload> guard, out MemoryError error, CancellationToken cancellationToken = default);

    /// <summary>Overwrites the whole message and publishes it, waiting while the slot is read- or write-locked.
    /// A completed write: it also clears <see cref="MemoryError.Poisoned"/>, which is how the owner recovers a
    /// message whose write scope ended by an exception.</summary>
    /// <param name="token">The token.</param>
    /// <param name="message">The new message.</param>
    /// <exception cref="MemoryManagerException">The token is bad, stale or foreign.</exception>
    void Replace(MessageToken token, Message<TPayload> message);

    /// <summary>Overwrites the whole message (clearing poison) without waiting.</summary>
    /// <param name="token">The token.</param>
    /// <param name="message">The new message.</param>
    /// <param name="error">Why not, when it returns false.</param>
    /// <returns>True when the message was replaced.</returns>
    bool TryReplace(MessageToken token, Message<TPayload> message, out MemoryError error);

    /// <summary>Overwrites the whole message (clearing poison), waiting while the slot is borrowed until
    /// <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="token">The token.</param>
    /// <param name="message">The new message.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="MemoryManagerException">The token is bad, stale or foreign.</exception>
    /// <exception cref="OperationCanceledException">The wait was cancelled; nothing was changed.</exception>
    void Replace(MessageToken token, Message<TPayload> message, CancellationToken cancellationToken);

    /// <summary>Overwrites the whole message (clearing poison), waiting at most <paramref name="timeout"/>
    /// while the slot is borrowed.</summary>
    /// <param name="token">The token.</param>
    /// <param name="message">The new message.</param>
    /// <param name="timeout">The longest wait (<see cref="Timeout.InfiniteTimeSpan"/>: no limit).</param>
    /// <param name="error">Why not, when it returns false (<see cref="MemoryError.Timeout"/> when the wait gave up).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when the message was replaced.</returns>
    bool TryReplace(MessageToken token, Message<TPayload> message, TimeSpan timeout, out MemoryError error, CancellationToken cancellationToken = default);

    /// <summary>Frees a message, waiting for every guard on its slot to be released.</summary>
    /// <param name="token">The message's token; it stops working when this returns.</param>
    /// <exception cref="MemoryManagerException"><see cref="MemoryError.BadToken"/> or <see cref="MemoryError.NotAllocated"/>.</exception>
    void Free(MessageToken token);

    /// <summary>Frees a message without waiting.</summary>
    /// <param name="token">The message's token.</param>
    /// <param name="error"><see cref="MemoryError.None"/>, or why the call failed.</param>
    /// <returns>True on success.</returns>
    bool TryFree(MessageToken token, out MemoryError error);

    /// <summary>Frees a message, waiting for every guard on its slot to be released until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="token">The message's token; it stops working when this returns.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <exception cref="MemoryManagerException"><see cref="MemoryError.BadToken"/> or <see cref="MemoryError.NotAllocated"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while the call waited; nothing was taken.</exception>
    void Free(MessageToken token, CancellationToken cancellationToken);

    /// <summary>Frees a message, waiting at most <paramref name="timeout"/> for the guards on its slot.</summary>
    /// <param name="token">The message's token.</param>
    /// <param name="timeout">How long to wait for a conflicting borrow to end: <see cref="TimeSpan.Zero"/> gives up at once, <see cref="Timeout.InfiniteTimeSpan"/> never.</param>
    /// <param name="error"><see cref="MemoryError.None"/>, <see cref="MemoryError.Timeout"/>, or why the call failed.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>True on success.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative (other than infinite) or longer than <see cref="int.MaxValue"/> milliseconds.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while the call waited; nothing was taken.</exception>
    bool TryFree(MessageToken token, TimeSpan timeout, out MemoryError error, CancellationToken cancellationToken = default);
}
