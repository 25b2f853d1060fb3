using System.Collections.Concurrent;
using System.Diagnostics;

namespace ManagerVerified.Diagnostics;

/// <summary>A token still outstanding (stored, never freed), and where it was stored.</summary>
/// <param name="Token">The token.</param>
/// <param name="StoredAt">The stack trace of the Store that created it.</param>
public sealed record OutstandingToken(MessageToken Token, string StoredAt);

/// <summary>What diagnostic mode noticed.</summary>
public sealed class ManagerDiagnosticEventArgs : EventArgs
{
    internal ManagerDiagnosticEventArgs(string message, IReadOnlyList<OutstandingToken> leaks, MessageToken token, MemoryError error, string? freedAt)
    {
        Message = message;
        Leaks = leaks;
        Token = token;
        Error = error;
        FreedAt = freedAt;
    }

    /// <summary>A readable description.</summary>
    public string Message { get; }

    /// <summary>For a leak report: the outstanding tokens; otherwise empty.</summary>
    public IReadOnlyList<OutstandingToken> Leaks { get; }

    /// <summary>For a stale use or a double free: the token; otherwise <c>default</c>.</summary>
    public MessageToken Token { get; }

    /// <summary>For a stale use or a double free: the error the operation returned.</summary>
    public MemoryError Error { get; }

    /// <summary>For a stale use or a double free: the stack of the Free that freed the token, when known.</summary>
    public string? FreedAt { get; }

    /// <summary>For a long-held guard report: the guards held longer than the threshold; otherwise empty.</summary>
    public IReadOnlyList<HeldGuard> HeldGuards { get; init; } = [];

    /// <summary>True when <see cref="Token"/>'s slot retired at its last generation (the manager has one slot fewer).</summary>
    public bool RetiredSlot { get; init; }
}

/// <summary>Which kind of guard.</summary>
public enum GuardKind
{
    /// <summary>A <see cref="ReadGuard{TPayload}"/>.</summary>
    Read,

    /// <summary>A <see cref="WriteGuard{TPayload}"/>.</summary>
    Write,

    /// <summary>A <see cref="HeaderGuard"/>.</summary>
    Header,
}

/// <summary>A guard held longer than the diagnostic threshold, and where it was acquired.</summary>
/// <param name="Token">The token it borrows.</param>
/// <param name="Kind">The kind of guard.</param>
/// <param name="HeldFor">How long it had been held when reported.</param>
/// <param name="AcquiredAt">The stack trace of the call that acquired it.</param>
public sealed record HeldGuard(MessageToken Token, GuardKind Kind, TimeSpan HeldFor, string AcquiredAt)
{
    internal static string Describe(IReadOnlyList<HeldGuard> held) =>
        $"{held.Count} guard(s) held longer than the threshold:" + string.Concat(held.Select(h => $"{Environment.NewLine}{h.Kind} guard on {h.Token}, held {h.HeldFor}, acquired at:{Environment.NewLine}{h.AcquiredAt}"));
}

/// <summary>Thrown by <see cref="ConcurrentMemoryManager{TPayload}.CheckForLeaks"/> (and by Dispose in diagnostic mode) when tokens are outstanding.</summary>
public sealed class MemoryLeakException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="leaks"/>.</summary>
    public MemoryLeakException(IReadOnlyList<OutstandingToken> leaks)
        : base(Describe(leaks)) => Leaks = leaks;

    /// <summary>Creates an empty exception.</summary>
    public MemoryLeakException()
        : this([])
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public MemoryLeakException(string message)
        : base(message) => Leaks = [];

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public MemoryLeakException(string message, Exception innerException)
        : base(message, innerException) => Leaks = [];

    /// <summary>The leaked tokens, each with the stack of its Store.</summary>
    public IReadOnlyList<OutstandingToken> Leaks { get; }

    internal static string Describe(IReadOnlyList<OutstandingToken> leaks) =>
        $"{leaks.Count} token(s) were stored and never freed:" + string.Concat(leaks.Select(l => $"{Environment.NewLine}{l.Token} stored at:{Environment.NewLine}{l.StoredAt}"));
}

/// <summary>Diagnostic mode's bookkeeping (see <see cref="ConcurrentMemoryManagerOptions.DiagnosticMode"/>).</summary>
/// <param name="capacity">The manager's capacity.</param>
/// <param name="onAccess">Told before each change of the bookkeeping that operations make (null in production): a
/// checked run reports it as an access of state the tasks share, so the model checker orders those changes.</param>
internal sealed class DiagnosticTracker(int capacity, Action? onAccess = null)
{
    private readonly ConcurrentDictionary<MessageToken, StackTrace> _outstanding = new();
    private readonly FreedRecord?[] _lastFreed = new FreedRecord?[capacity];

    private sealed record FreedRecord(MessageToken Token, StackTrace Stack);

    public void OnStored(MessageToken token)
    {
        onAccess?.Invoke();
        _outstanding[token] = new StackTrace(2, fNeedFileInfo: true);
    }

    public void OnFreed(MessageToken token)
    {
        onAccess?.Invoke();
        _outstanding.TryRemove(token, out _);
        Volatile.Write(ref _lastFreed[token.Index], new FreedRecord(token, new StackTrace(2, fNeedFileInfo: true)));
    }

    public IReadOnlyList<OutstandingToken> Outstanding() =>
        _outstanding.OrderBy(p => p.Key.Index).Select(p => new OutstandingToken(p.Key, p.Value.ToString())).ToArray();

    /// <summary>Where <paramref name="token"/> was freed, or what is known about it.</summary>
    public string FreedAt(MessageToken token)
    {
        if (token.Index >= _lastFreed.Length)
        {
            return "(not a slot of this manager)";
        }

        FreedRecord? last = Volatile.Read(ref _lastFreed[token.Index]);
        return last is null
            ? "(no Free of this slot was recorded)"
            : last.Token == token
                ? last.Stack.ToString()
                : $"(freed before the slot's last Free, of {last.Token}, at:){Environment.NewLine}{last.Stack}";
    }
}

/// <summary>Diagnostic mode's record of every guard held: releases go through it (it is the guards' lock
/// owner), and a timer reports the guards held longer than the threshold.</summary>
internal sealed class BorrowTracker : ISlotLockOwner, IDisposable
{
    private readonly ISlotLockOwner _core;
    private readonly TimeProvider _time;
    private readonly TimeSpan _threshold;
    private readonly ConcurrentDictionary<int, Borrow> _held = new();
    private readonly ITimer _timer;
    private readonly Action _report;
    private readonly Action? _onAccess;
    private int _lastTicket;

    private sealed class Borrow(MessageToken token, GuardKind kind, long acquiredAt, StackTrace stack)
    {
        internal MessageToken Token { get; } = token;
        internal GuardKind Kind { get; } = kind;
        internal long AcquiredAt { get; } = acquiredAt;
        internal StackTrace Stack { get; } = stack;
        internal int Reported;
    }

    /// <param name="core">The core that holds the slots.</param>
    /// <param name="time">The clock and timers.</param>
    /// <param name="threshold">How long a guard may be held before it is reported.</param>
    /// <param name="report">The timer's check.</param>
    /// <param name="onAccess">Told before each access of the record of held guards that an acquire or a release makes
    /// (null in production): a checked run reports it as an access of state the tasks share, so the model checker
    /// orders a guard's release and its copy's, whose order decides which is refused.</param>
    internal BorrowTracker(ISlotLockOwner core, TimeProvider time, TimeSpan threshold, Action report, Action? onAccess = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(threshold, TimeSpan.Zero, nameof(ConcurrentMemoryManagerOptions.GuardHoldThreshold));
        _core = core;
        _time = time;
        _threshold = threshold;
        _report = report;
        _onAccess = onAccess;

        // The timer holds the tracker weakly, and stops itself once the tracker is gone: a manager nobody
        // disposed is still collected, and its timer does not fire for ever. No execution context flows
        // into the timer (it would keep the creator's AsyncLocals alive).
        var state = new TimerState(new WeakReference<BorrowTracker>(this));
        using (ExecutionContext.SuppressFlow())
        {
            _timer = time.CreateTimer(static s => Tick((TimerState)s!), state, threshold, threshold);
        }

        state.Timer = _timer;
    }

    /// <summary>Records a guard just acquired with <paramref name="token"/>; returns its ticket (never 0).</summary>
    internal int Acquired(MessageToken token, GuardKind kind)
    {
        _onAccess?.Invoke();
        int ticket;
        do
        {
            ticket = Interlocked.Increment(ref _lastTicket);
        }
        while (ticket == 0);
        _held[ticket] = new Borrow(token, kind, _time.GetTimestamp(), new StackTrace(3, fNeedFileInfo: true));
        return ticket;
    }

    // The guard's record first, the slot after: of a guard and its copies only the first release finds the record,
    // and the others are refused before they touch the slot, so a copied read guard cannot take another reader's
    // place here (production cannot tell two read borrows apart: docs/reliability.md).

    /// <inheritdoc />
    public bool ExitRead(MessageToken token, int ticket) => Forget(ticket) && _core.ExitRead(token, 0);

    /// <inheritdoc />
    public bool ExitWrite(MessageToken token, long hold, int ticket) => Forget(ticket) && _core.ExitWrite(token, hold, 0);

    /// <inheritdoc />
    public bool CommitWrite(MessageToken token, long hold) => _core.CommitWrite(token, hold);

    /// <summary>Drops the record of guard <paramref name="ticket"/>: true for the first release of the guard or any of
    /// its copies, false for every later one.</summary>
    private bool Forget(int ticket)
    {
        _onAccess?.Invoke();
        return _held.TryRemove(ticket, out _);
    }

    internal IReadOnlyList<HeldGuard> HeldLongerThanThreshold() => Select(onlyNew: false);

    internal IReadOnlyList<HeldGuard> NewlyHeldLongerThanThreshold() => Select(onlyNew: true);

    private HeldGuard[] Select(bool onlyNew)
    {
        long now = _time.GetTimestamp();
        var held = new List<HeldGuard>();
        foreach (Borrow b in _held.Values.OrderBy(b => b.AcquiredAt))
        {
            TimeSpan heldFor = _time.GetElapsedTime(b.AcquiredAt, now);
            if (heldFor >= _threshold && (!onlyNew || Interlocked.Exchange(ref b.Reported, 1) == 0))
            {
                held.Add(new HeldGuard(b.Token, b.Kind, heldFor, b.Stack.ToString()));
            }
        }

        return [.. held];
    }

    private sealed class TimerState(WeakReference<BorrowTracker> tracker)
    {
        internal WeakReference<BorrowTracker> Tracker { get; } = tracker;

        internal ITimer? Timer { get; set; }
    }

    private static void Tick(TimerState state)
    {
        if (state.Tracker.TryGetTarget(out BorrowTracker? target))
        {
            target._report();
        }
        else
        {
            state.Timer?.Dispose();
        }
    }

    public void Dispose() => _timer.Dispose();
}
