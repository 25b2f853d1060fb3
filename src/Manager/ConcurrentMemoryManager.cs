using ManagerVerified.Core;
using ManagerVerified.Seam;

namespace ManagerVerified;

/// <summary>
/// A fixed-capacity, heap-backed store of <see cref="Message{TPayload}"/> values addressed by
/// <see cref="MessageToken"/>s, safe for concurrent use without any whole-manager lock.
/// </summary>
/// <typeparam name="TPayload">The payload type. A struct payload keeps every operation allocation-free.</typeparam>
/// <remarks>
/// <para>Free slots live on a lock-free, ABA-tagged Treiber stack; each slot has its own reader/writer
/// lock whose state shares one word with the slot's generation, so a token is checked and the slot
/// locked in one atomic step. No operation locks more than one slot.</para>
/// <para>Blocking members (<see cref="Store"/>, <see cref="Read"/>, <see cref="Write"/>,
/// <see cref="PeekHeader"/>, <see cref="Free"/>) throw <see cref="MemoryManagerException"/> on failure;
/// the Try members never block and never throw for the errors of <see cref="MemoryError"/>. A failed
/// operation changes nothing.</para>
/// <para>Do not wait on a slot you hold yourself: calling <see cref="Free"/> or <see cref="Write"/>
/// on a token while the same thread holds a guard on it never returns. Use the Try members there.</para>
/// </remarks>
public sealed class ConcurrentMemoryManager<TPayload> : IMemoryManager<TPayload>
{
    /// <summary>The largest capacity a manager accepts: 2^24 slots (the token's index field).</summary>
    public const int MaxCapacity = 1 << MessageToken.IndexBits;

    private readonly SlotManager<TPayload, ProductionSeam> _core;

    /// <summary>Creates a manager with <paramref name="capacity"/> slots, all allocated now.</summary>
    /// <param name="capacity">The number of slots, 1 to <see cref="MaxCapacity"/>.</param>
    /// <param name="memoryClass">The memory class of the messages this manager holds.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1 or above <see cref="MaxCapacity"/>.</exception>
    public ConcurrentMemoryManager(int capacity, MemoryClass memoryClass = MemoryClass.Host)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
        _core = new SlotManager<TPayload, ProductionSeam>(
            capacity, memoryClass, default, HeadLayout.ForCapacity(capacity), startTag: 0, startGeneration: SlotWord.FirstGeneration);
    }

    /// <inheritdoc />
    public int Capacity => _core.Capacity;

    /// <summary>
    /// The number of free slots, read without locking (for diagnostics).
    /// </summary>
    /// <remarks>
    /// Always within [0, <see cref="Capacity"/>]. Whenever no operation is in flight it equals the number
    /// of slots on the free-list and <see cref="Capacity"/> minus the live messages. While operations run
    /// may exceed the free-list length by the number of slots in transit (popped by a store that has not yet
    /// counted it, or counted by a free that has not yet pushed it), so a positive value does not promise
    /// that the next store succeeds; it never understates what is free.
    /// </remarks>
    public int Available => _core.Available;

    /// <inheritdoc />
    public MemoryClass MemoryClass => _core.MemoryClass;

    /// <inheritdoc />
    public MessageToken Store(Message<TPayload> message) => _core.Store(message);

    /// <inheritdoc />
    public bool TryStore(Message<TPayload> message, out MessageToken token, out MemoryError error) =>
        _core.TryStore(message, out token, out error);

    /// <inheritdoc />
    public ReadGuard<TPayload> Read(MessageToken token) => _core.Read(token);

    /// <inheritdoc />
    public bool TryRead(MessageToken token, out ReadGuard<TPayload> guard, out MemoryError error) =>
        _core.TryRead(token, out guard, out error);

    /// <inheritdoc />
    public WriteGuard<TPayload> Write(MessageToken token) => _core.Write(token);

    /// <inheritdoc />
    public bool TryWrite(MessageToken token, out WriteGuard<TPayload> guard, out MemoryError error) =>
        _core.TryWrite(token, out guard, out error);

    /// <inheritdoc />
    public HeaderGuard PeekHeader(MessageToken token) => _core.PeekHeader(token);

    /// <inheritdoc />
    public bool TryPeekHeader(MessageToken token, out HeaderGuard guard, out MemoryError error) =>
        _core.TryPeekHeader(token, out guard, out error);

    /// <inheritdoc />
    public void Free(MessageToken token) => _core.Free(token);

    /// <inheritdoc />
    public bool TryFree(MessageToken token, out MemoryError error) => _core.TryFree(token, out error);

    internal SlotManager<TPayload, ProductionSeam> Core => _core;
}
