namespace ManagerVerified;

/// <summary>Optimistic whole-message copies for payloads that hold no references.</summary>
public static class MessageCopyExtensions
{
    /// <summary>
    /// Copies the whole message without taking the slot's lock and without writing shared memory: the
    /// protocol of <see cref="IHeaderStore.TryCopyHeader"/> (read the slot's write sequence and word, copy,
    /// re-check both; retried a few times), for the header and the payload together. Never blocks.
    /// </summary>
    /// <remarks>Only for unmanaged payloads: the copy is then a snapshot that no writer can change, and a
    /// torn copy (a writer in between) is discarded before anyone sees it. For payloads with references, read
    /// under <see cref="ConcurrentMemoryManager{TPayload}.Read(MessageToken)"/>.</remarks>
    /// <typeparam name="TPayload">The payload type: no references.</typeparam>
    /// <param name="manager">The manager.</param>
    /// <param name="token">The message's token.</param>
    /// <param name="message">The message, when the call succeeds.</param>
    /// <param name="error"><see cref="MemoryError.None"/>; <see cref="MemoryError.AlreadyBorrowed"/> when writers kept
    /// changing the slot; <see cref="MemoryError.Poisoned"/>; or the token's error.</param>
    /// <returns>True on success.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="manager"/> is null.</exception>
    public static bool TryCopy<TPayload>(this ConcurrentMemoryManager<TPayload> manager, MessageToken token, out Message<TPayload> message, out MemoryError error)
        where TPayload : unmanaged
    {
        ArgumentNullException.ThrowIfNull(manager);
        return manager.TryCopyMessage(token, out message, out error);
    }
}
