using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using ManagerVerified.Core;
using ManagerVerified.Verification;
using ManagerVerified.Diagnostics;
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
/// <para>Blocking members (<see cref="Store"/>, <see cref="Read(MessageToken)"/>, <see cref="Write(MessageToken)"/>,
/// <see cref="PeekHeader(MessageToken)"/>, <see cref="Free(MessageToken)"/>) throw <see cref="MemoryManagerException"/>
/// on failure and wait out a conflicting borrow, optionally until a <see cref="CancellationToken"/> is
/// cancelled; the Try members never throw for the errors of <see cref="MemoryError"/> and either never
/// block or, given a timeout, wait at most that long (<see cref="MemoryError.Timeout"/>). A failed
/// operation changes nothing.</para>
/// <para>Do not wait on a slot you hold yourself: calling <see cref="Free(MessageToken)"/> or
/// <see cref="Write(MessageToken)"/> on a token while the same thread holds a guard on it never
/// returns. Use the Try members there, or give the wait a timeout.</para>
/// </remarks>
public sealed class ConcurrentMemoryManager<TPayload> : IMemoryManager<TPayload>, IDisposable, ManagerMetrics.IMetricsSource
{
    /// <summary>The largest capacity a manager accepts: 2^24 slots (the token's index field).</summary>
    public const int MaxCapacity = 1 << MessageToken.IndexBits;

    private readonly SlotManager<TPayload, ProductionSeam> _core;
    private readonly DiagnosticTracker? _diagnostics;
    private readonly BorrowTracker? _borrows;
    private readonly ManagerMetrics.NameCounts _counts;
    private readonly TimeProvider _time;
    private int _disposed;

    /// <summary>Creates a manager with <paramref name="capacity"/> slots, all allocated now.</summary>
    /// <param name="capacity">The number of slots, 1 to <see cref="MaxCapacity"/>.</param>
    /// <param name="memoryClass">The memory class of the messages this manager holds.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1 or above <see cref="MaxCapacity"/>.</exception>
    public ConcurrentMemoryManager(int capacity, MemoryClass memoryClass = MemoryClass.Host)
        : this(capacity, new ConcurrentMemoryManagerOptions { MemoryClass = memoryClass })
    {
    }

    /// <summary>Creates a manager with <paramref name="capacity"/> slots and the given options.</summary>
    /// <param name="capacity">The number of slots, 1 to <see cref="MaxCapacity"/>.</param>
    /// <param name="options">Name (for metrics), memory class, diagnostic mode, free-list shards.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1 or above <see cref="MaxCapacity"/>;
    /// or <see cref="ConcurrentMemoryManagerOptions.FreeListShards"/> is negative or above the capacity or 64.</exception>
    public ConcurrentMemoryManager(int capacity, ConcurrentMemoryManagerOptions options)
        : this(CreateCore(capacity, options), options)
    {
    }

    /// <summary>Wraps a core built elsewhere: the tests' narrow tags and chosen start generations
    /// (<see cref="Verification.VerificationManagers"/>) behind the same public surface.</summary>
    internal ConcurrentMemoryManager(SlotManager<TPayload, ProductionSeam> core, ConcurrentMemoryManagerOptions options)
    {
        _core = core;
        Name = options.Name ?? string.Empty;
        _time = options.TimeProvider ?? TimeProvider.System;
        _diagnostics = options.DiagnosticMode ? new DiagnosticTracker(core.Capacity) : null;
        if (options.DiagnosticMode)
        {
            _borrows = new BorrowTracker(core, _time, options.GuardHoldThreshold, ReportLongHeldGuards);
        }

        _counts = ManagerMetrics.CountsFor(Name);
        if (options.Name is not null)
        {
            ManagerMetrics.Register(this); // named managers publish gauges
        }
    }

    private static SlotManager<TPayload, ProductionSeam> CreateCore(int capacity, ConcurrentMemoryManagerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
        int shards = options.FreeListShards == 0
            ? TaggedFreeList<ProductionSeam>.ShardsFor(capacity, Environment.ProcessorCount)
            : options.FreeListShards;
        if (shards < 1 || shards > Math.Min(capacity, TaggedFreeList<ProductionSeam>.MaxShards))
        {
            throw new ArgumentOutOfRangeException(
                nameof(options),
                options.FreeListShards,
                $"FreeListShards must be 0 (one per processor) or 1 to {Math.Min(capacity, TaggedFreeList<ProductionSeam>.MaxShards)} (at most the capacity and 64).");
        }

        return new SlotManager<TPayload, ProductionSeam>(
            capacity, options.MemoryClass, default, HeadLayout.ForCapacity(capacity), startTag: 0, startGeneration: SlotWord.FirstGeneration, shards: shards);
    }

    /// <summary>The name given in <see cref="ConcurrentMemoryManagerOptions.Name"/> (empty when none).</summary>
    public string Name { get; }

    /// <summary>In diagnostic mode: stale uses, double frees, leak reports and guards held longer than
    /// <see cref="ConcurrentMemoryManagerOptions.GuardHoldThreshold"/>; in every mode: a slot retired at its last
    /// generation. Raised on the thread that noticed (a timer's, for long-held guards), after the operation
    /// is complete; an exception thrown by a handler is caught and ignored, so a handler cannot change what
    /// the operation returns or throws.</summary>
    public event EventHandler<ManagerDiagnosticEventArgs>? Diagnostic;

    /// <inheritdoc />
    public int Capacity => _core.Capacity;

    /// <summary>
    /// The number of free slots, read without locking (for diagnostics).
    /// </summary>
    /// <remarks>
    /// Always within [0, <see cref="Capacity"/>]. Whenever no operation is in flight it equals the number
    /// of slots on the free-list and <see cref="Capacity"/> minus the live messages. The free-list is
    /// sharded (one shard per core) and each shard counts its own slots; this property sums the shards'
    /// counts one after another, so while operations run it is an estimate: a slot in transit (popped but
    /// not yet counted, or counted but not yet pushed) counts as available, and a slot stored from one shard
    /// and another freed into a second while the sum is taken may be counted twice or not at all. A positive
    /// value does not promise that the next store succeeds, nor a zero that it fails.
    /// </remarks>
    public int Available => _core.Available;

    /// <inheritdoc />
    public MemoryClass MemoryClass => _core.MemoryClass;

    /// <inheritdoc />
    public MessageToken Store(Message<TPayload> message)
    {
        if (!TryStore(message, out MessageToken token, out MemoryError error))
        {
            throw new MemoryManagerException(error);
        }

        return token;
    }

    /// <inheritdoc />
    public bool TryStore(Message<TPayload> message, out MessageToken token, out MemoryError error)
    {
        error = _core.Store(message, out token);
        if (error == MemoryError.None)
        {
            if (ManagerMetrics.Stores.Enabled || _diagnostics is not null)
            {
                OnStored(token);
            }

            return true;
        }

        ManagerMetrics.Count(ManagerMetrics.NoFreeSlots, ref _counts.NoFreeSlots);
        return false;
    }

    /// <inheritdoc />
    public ReadGuard<TPayload> Read(MessageToken token) => Read(token, CancellationToken.None);

    /// <inheritdoc />
    public ReadGuard<TPayload> Read(MessageToken token, CancellationToken cancellationToken)
    {
        MemoryError error = ReadCore(token, WaitLimit.Until(cancellationToken), out ReadGuard<TPayload> guard);
        if (error != MemoryError.None)
        {
            throw Failure(token, error);
        }

#pragma warning disable MV0001 // a move, not a copy: the local is not used after the return
        return guard;
#pragma warning restore MV0001
    }

    /// <inheritdoc />
    public bool TryRead(MessageToken token, out ReadGuard<TPayload> guard, out MemoryError error) =>
        Succeeded(token, error = ReadCore(token, WaitLimit.None, out guard));

    /// <inheritdoc />
    public bool TryRead(MessageToken token, TimeSpan timeout, out ReadGuard<TPayload> guard, out MemoryError error, CancellationToken cancellationToken = default) =>
        Succeeded(token, error = ReadCore(token, WaitLimit.For(timeout, _time, cancellationToken), out guard));

    /// <inheritdoc />
    public WriteGuard<TPayload> Write(MessageToken token) => Write(token, CancellationToken.None);

    /// <inheritdoc />
    public WriteGuard<TPayload> Write(MessageToken token, CancellationToken cancellationToken)
    {
        MemoryError error = WriteCore(token, WaitLimit.Until(cancellationToken), out WriteGuard<TPayload> guard);
        if (error != MemoryError.None)
        {
            throw Failure(token, error);
        }

#pragma warning disable MV0001 // a move, not a copy: the local is not used after the return
        return guard;
#pragma warning restore MV0001
    }

    /// <inheritdoc />
    public bool TryWrite(MessageToken token, out WriteGuard<TPayload> guard, out MemoryError error) =>
        Succeeded(token, error = WriteCore(token, WaitLimit.None, out guard));

    /// <inheritdoc />
    public bool TryWrite(MessageToken token, TimeSpan timeout, out WriteGuard<TPayload> guard, out MemoryError error, CancellationToken cancellationToken = default) =>
        Succeeded(token, error = WriteCore(token, WaitLimit.For(timeout, _time, cancellationToken), out guard));

    /// <inheritdoc />
    public HeaderGuard PeekHeader(MessageToken token) => PeekHeader(token, CancellationToken.None);

    /// <inheritdoc />
    public HeaderGuard PeekHeader(MessageToken token, CancellationToken cancellationToken)
    {
        MemoryError error = PeekHeaderCore(token, WaitLimit.Until(cancellationToken), out HeaderGuard guard);
        if (error != MemoryError.None)
        {
            throw Failure(token, error);
        }

#pragma warning disable MV0001 // a move, not a copy: the local is not used after the return
        return guard;
#pragma warning restore MV0001
    }

    /// <inheritdoc />
    public bool TryPeekHeader(MessageToken token, out HeaderGuard guard, out MemoryError error) =>
        Succeeded(token, error = PeekHeaderCore(token, WaitLimit.None, out guard));

    /// <inheritdoc />
    public bool TryPeekHeader(MessageToken token, TimeSpan timeout, out HeaderGuard guard, out MemoryError error, CancellationToken cancellationToken = default) =>
        Succeeded(token, error = PeekHeaderCore(token, WaitLimit.For(timeout, _time, cancellationToken), out guard));

    /// <inheritdoc />
    public bool TryCopyHeader(MessageToken token, out MessageHeader header, out MemoryError error) =>
        Succeeded(token, error = _core.CopyHeader(token, out header));

    /// <summary>The whole-message optimistic copy behind <see cref="MessageCopyExtensions.TryCopy{TPayload}"/>
    /// (constrained there to unmanaged payloads).</summary>
    internal bool TryCopyMessage(MessageToken token, out Message<TPayload> message, out MemoryError error) =>
        Succeeded(token, error = _core.CopyMessage(token, out message));

    /// <inheritdoc />
    public void Replace(MessageToken token, Message<TPayload> message) => Replace(token, message, CancellationToken.None);

    /// <inheritdoc />
    public void Replace(MessageToken token, Message<TPayload> message, CancellationToken cancellationToken)
    {
        MemoryError error = _core.Replace(token, message, WaitLimit.Until(cancellationToken));
        if (error != MemoryError.None)
        {
            throw Failure(token, error);
        }
    }

    /// <inheritdoc />
    public bool TryReplace(MessageToken token, Message<TPayload> message, out MemoryError error) =>
        Succeeded(token, error = _core.Replace(token, message, WaitLimit.None));

    /// <inheritdoc />
    public bool TryReplace(MessageToken token, Message<TPayload> message, TimeSpan timeout, out MemoryError error, CancellationToken cancellationToken = default) =>
        Succeeded(token, error = _core.Replace(token, message, WaitLimit.For(timeout, _time, cancellationToken)));

    /// <inheritdoc />
    public void Free(MessageToken token) => Free(token, CancellationToken.None);

    /// <inheritdoc />
    public void Free(MessageToken token, CancellationToken cancellationToken)
    {
        MemoryError error = FreeCore(token, WaitLimit.Until(cancellationToken));
        if (error != MemoryError.None)
        {
            throw Failure(token, error);
        }
    }

    /// <inheritdoc />
    public bool TryFree(MessageToken token, out MemoryError error) =>
        Succeeded(token, error = FreeCore(token, WaitLimit.None));

    /// <inheritdoc />
    public bool TryFree(MessageToken token, TimeSpan timeout, out MemoryError error, CancellationToken cancellationToken = default) =>
        Succeeded(token, error = FreeCore(token, WaitLimit.For(timeout, _time, cancellationToken)));

    /// <summary>A blocking member's failure: the exception to throw, explained in diagnostic mode.</summary>
    private MemoryManagerException Failure(MessageToken token, MemoryError error) =>
        _diagnostics is null ? new MemoryManagerException(error) : Explain(token, error);

    /// <summary>A Try member's result: true on None; a failure is reported to diagnostic mode.</summary>
    private bool Succeeded(MessageToken token, MemoryError error)
    {
        if (error == MemoryError.None)
        {
            return true;
        }

        if (_diagnostics is not null)
        {
            Explain(token, error);
        }

        return false;
    }

    private MemoryError FreeCore(MessageToken token, WaitLimit wait)
    {
        MemoryError error = _core.Free(token, wait, out bool retired);
        if (error == MemoryError.None)
        {
            if (ManagerMetrics.Frees.Enabled || _diagnostics is not null)
            {
                OnFreed(token);
            }

            if (retired)
            {
                OnRetired(token);
            }
        }

        return error;
    }

    // The guard-taking calls: the core's, then, in diagnostic mode, a record of who holds the guard.

    private MemoryError ReadCore(MessageToken token, WaitLimit wait, out ReadGuard<TPayload> guard)
    {
        MemoryError error = _core.Read(token, wait, out guard);
        if (error == MemoryError.None && _borrows is not null)
        {
            guard = guard.Tracked(_borrows, _borrows.Acquired(token, GuardKind.Read));
        }

        return error;
    }

    private MemoryError WriteCore(MessageToken token, WaitLimit wait, out WriteGuard<TPayload> guard)
    {
        MemoryError error = _core.Write(token, wait, out guard);
        if (error == MemoryError.None && _borrows is not null)
        {
            guard = guard.Tracked(_borrows, _borrows.Acquired(token, GuardKind.Write));
        }

        return error;
    }

    private MemoryError PeekHeaderCore(MessageToken token, WaitLimit wait, out HeaderGuard guard)
    {
        MemoryError error = _core.PeekHeader(token, wait, out guard);
        if (error == MemoryError.None && _borrows is not null)
        {
            guard = guard.Tracked(_borrows, _borrows.Acquired(token, GuardKind.Header));
        }

        return error;
    }

    /// <summary>The guards held longer than <see cref="ConcurrentMemoryManagerOptions.GuardHoldThreshold"/>
    /// now, each with the stack of its acquire (diagnostic mode only).</summary>
    /// <exception cref="InvalidOperationException">The manager is not in diagnostic mode.</exception>
    public IReadOnlyList<HeldGuard> GetLongHeldGuards() =>
        (_borrows ?? throw new InvalidOperationException("GetLongHeldGuards needs ConcurrentMemoryManagerOptions.DiagnosticMode.")).HeldLongerThanThreshold();

    /// <summary>The timer's check: raises <see cref="Diagnostic"/> once for each guard that has become
    /// long-held since the last check.</summary>
    private void ReportLongHeldGuards()
    {
        IReadOnlyList<HeldGuard> held = _borrows!.NewlyHeldLongerThanThreshold();
        if (held.Count > 0)
        {
            RaiseDiagnostic(new ManagerDiagnosticEventArgs(HeldGuard.Describe(held), [], default, MemoryError.None, null) { HeldGuards = held });
        }
    }

    /// <summary>The tokens stored and not yet freed, each with the stack of its Store (diagnostic mode only).</summary>
    /// <exception cref="InvalidOperationException">The manager is not in diagnostic mode.</exception>
    public IReadOnlyList<OutstandingToken> GetOutstandingTokens() =>
        (_diagnostics ?? throw new InvalidOperationException("GetOutstandingTokens needs ConcurrentMemoryManagerOptions.DiagnosticMode.")).Outstanding();

    /// <summary>Reports outstanding tokens: raises <see cref="Diagnostic"/> and throws <see cref="MemoryLeakException"/> when any exist (diagnostic mode only).</summary>
    /// <exception cref="MemoryLeakException">Tokens were stored and never freed.</exception>
    /// <exception cref="InvalidOperationException">The manager is not in diagnostic mode.</exception>
    public void CheckForLeaks()
    {
        IReadOnlyList<OutstandingToken> leaks = GetOutstandingTokens();
        if (leaks.Count > 0)
        {
            RaiseDiagnostic(new ManagerDiagnosticEventArgs(MemoryLeakException.Describe(leaks), leaks, default, MemoryError.None, null));
            throw new MemoryLeakException(leaks);
        }
    }

    /// <summary>Stops publishing metrics for this manager; in diagnostic mode, then reports leaks like
    /// <see cref="CheckForLeaks"/> (as Kestrel's diagnostic memory pool does). The manager's storage is
    /// managed memory: nothing else is released.</summary>
    /// <exception cref="MemoryLeakException">Diagnostic mode, and tokens were stored and never freed.</exception>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        ManagerMetrics.Unregister(this);
        _borrows?.Dispose();
        if (_diagnostics is not null)
        {
            CheckForLeaks();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnStored(MessageToken token)
    {
        ManagerMetrics.Count(ManagerMetrics.Stores, ref _counts.Stores);
        _diagnostics?.OnStored(token);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnFreed(MessageToken token)
    {
        ManagerMetrics.Count(ManagerMetrics.Frees, ref _counts.Frees);
        _diagnostics?.OnFreed(token);
    }

    /// <summary>A slot retired at its last generation: counted (<c>managerverified.slots_retired</c>) and
    /// reported through <see cref="Diagnostic"/> in every mode; the manager has one slot fewer for good.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnRetired(MessageToken token)
    {
        Interlocked.Increment(ref _counts.Retired);
        RaiseDiagnostic(new ManagerDiagnosticEventArgs(
            $"slot {token.Index} retired: {token} was its last generation; the manager now has {Capacity - _core.RetiredSlots} usable slots",
            [], token, MemoryError.None, null) { RetiredSlot = true });
    }

    /// <summary>Raises <see cref="Diagnostic"/>. Each handler runs on its own: one that throws is skipped,
    /// so no handler can turn a Try member into a throwing one or change a blocking member's exception.</summary>
    private void RaiseDiagnostic(ManagerDiagnosticEventArgs args)
    {
        if (Diagnostic is not { } handlers)
        {
            return;
        }

        foreach (EventHandler<ManagerDiagnosticEventArgs> handler in handlers.GetInvocationList().Cast<EventHandler<ManagerDiagnosticEventArgs>>())
        {
            try
            {
                handler(this, args);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A diagnostic listener's failure is not the operation's: the operation's result stands.
            }
        }
    }

    /// <summary>In diagnostic mode: raises <see cref="Diagnostic"/> for a stale use or a double free and
    /// returns the exception a blocking method throws, which says where the token was freed.</summary>
    private MemoryManagerException Explain(MessageToken token, MemoryError error)
    {
        if (error == MemoryError.ForeignToken && _diagnostics is not null)
        {
            string foreign = $"{token} was issued by another manager (manager {token.ManagerId}, this is {_core.Id}); nothing was changed";
            RaiseDiagnostic(new ManagerDiagnosticEventArgs(foreign, [], token, error, null));
            return new MemoryManagerException(error, foreign);
        }

        if (error is not (MemoryError.StaleToken or MemoryError.NotAllocated) || _diagnostics is null)
        {
            return new MemoryManagerException(error);
        }

        string freedAt = _diagnostics.FreedAt(token);
        string what = error == MemoryError.NotAllocated ? "double free" : "use of a freed token";
        string message = $"{what}: {token} ({error}); it was freed at:{Environment.NewLine}{freedAt}";
        RaiseDiagnostic(new ManagerDiagnosticEventArgs(message, [], token, error, freedAt));
        return new MemoryManagerException(error, message);
    }

    internal SlotManager<TPayload, ProductionSeam> Core => _core;
}
