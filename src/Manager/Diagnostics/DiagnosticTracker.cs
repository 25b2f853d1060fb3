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
internal sealed class DiagnosticTracker(int capacity)
{
    private readonly ConcurrentDictionary<MessageToken, StackTrace> _outstanding = new();
    private readonly FreedRecord?[] _lastFreed = new FreedRecord?[capacity];

    private sealed record FreedRecord(MessageToken Token, StackTrace Stack);

    public void OnStored(MessageToken token) => _outstanding[token] = new StackTrace(2, fNeedFileInfo: true);

    public void OnFreed(MessageToken token)
    {
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
