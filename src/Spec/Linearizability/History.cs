using System.Globalization;
using System.Text;

namespace ManagerVerified.Spec.Linearizability;

/// <summary>The steps a history is made of. Guarded operations are split at their lock: a read is an
/// acquire (which sees the message) and a release; a write is an acquire and a release (which
/// publishes the new content); a free is an exclusive acquire, an invalidation (the token goes stale)
/// and a recycle (the slot returns to the free-list), all three inside the Free call's interval.</summary>
public enum StepKind
{
    /// <summary>Store or TryStore of a message from <see cref="Step.Owner"/>.</summary>
    Store,

    /// <summary>Read, TryRead, PeekHeader or TryPeekHeader: takes a read borrow and sees the message.</summary>
    AcquireRead,

    /// <summary>Write or TryWrite: takes the write borrow and sees the message.</summary>
    AcquireWrite,

    /// <summary>Disposal of a read or header guard.</summary>
    ReleaseRead,

    /// <summary>Disposal of a committed write guard, or the end of a Replace, publishing <see cref="Step.Version"/>
    /// (and clearing poison); a no-op when the Replace failed.</summary>
    ReleaseWrite,

    /// <summary>Disposal of a write guard without commit (its scope ended by an exception): the slot is poisoned.</summary>
    AbortWrite,

    /// <summary>Replace or TryReplace: takes the slot exclusively, poisoned or not (its result is the call's);
    /// the same call's <see cref="ReleaseWrite"/> step publishes the new message and clears poison.</summary>
    Replace,

    /// <summary>Free or TryFree: takes the slot exclusively (its result is the call's result).</summary>
    FreeAcquire,

    /// <summary>The freeing call's release: the token stops working (a no-op when the Free failed).</summary>
    FreeInvalidate,

    /// <summary>The freed slot goes back on the free-list (a no-op when the Free failed).</summary>
    FreeRecycle,

    /// <summary>TryCopyHeader: an optimistic copy, no borrow (AlreadyBorrowed while a writer holds the slot).</summary>
    CopyHeader,

    /// <summary>Verification only, by a scenario's set-up while no task runs: <see cref="Step.Version"/> read borrows
    /// of the token's message that no guard holds are added (positive) or taken away (negative), so a scenario can
    /// start a slot at the reader limit without 2^21 - 1 guards.</summary>
    PhantomReaders,
}

/// <summary>One step of a concurrent history: what was called, by whom, when, and what it returned.</summary>
/// <param name="Id">The step's index in its history.</param>
/// <param name="Task">The task that made the call (for display).</param>
/// <param name="Kind">The step.</param>
/// <param name="Try">True for a Try-variant (never blocks).</param>
/// <param name="Token">The token argument (or, for Store, the token returned).</param>
/// <param name="Owner">Store: the owner id stored. Acquire: the owner seen.</param>
/// <param name="Version">Acquire: the version seen. ReleaseWrite: the version published.</param>
/// <param name="Error">The result.</param>
/// <param name="Invoke">Logical time of the call.</param>
/// <param name="Response">Logical time of the return; <see cref="long.MaxValue"/> while pending.</param>
/// <param name="Timed">True for a call with a timeout (the only kind that may give up a wait: Timeout).</param>
public readonly record struct Step(
    int Id, int Task, StepKind Kind, bool Try, MessageToken Token, long Owner, long Version, MemoryError Error, long Invoke, long Response, bool Timed = false)
{
    /// <summary>True when the call has returned.</summary>
    public bool Completed => Response != long.MaxValue;

    /// <inheritdoc />
    public override string ToString()
    {
        string name = (Try ? "Try" : string.Empty) + Kind;
        string result = Error == MemoryError.None ? "ok" : Error.ToString();
        string detail = Kind switch
        {
            StepKind.Store => $"Store(owner {Owner}) -> {result}{(Error == MemoryError.None ? " " + Token : string.Empty)}",
            StepKind.AcquireRead or StepKind.AcquireWrite or StepKind.CopyHeader => $"{name}({Token}) -> {result}{(Error == MemoryError.None ? $" sees {Owner}v{Version}" : string.Empty)}",
            StepKind.ReleaseWrite => $"ReleaseWrite({Token}, v{Version})",
            StepKind.Replace => $"{name}({Token}, v{Version}) -> {result}",
            StepKind.FreeRecycle => $"FreeRecycle(slot {Token.Index})",
            StepKind.FreeInvalidate => $"FreeInvalidate({Token})",
            StepKind.PhantomReaders => $"PhantomReaders({Token}, {Version:+#;-#;0})",
            _ => $"{name}({Token}) -> {result}",
        };
        return Completed ? detail : detail + " (pending)";
    }
}

/// <summary>A recorded history, and its rendering in per-task columns.</summary>
public sealed class History
{
    /// <summary>Creates a history from its steps.</summary>
    public History(IEnumerable<Step> steps) => Steps = steps.ToArray();

    /// <summary>The steps, by id.</summary>
    public IReadOnlyList<Step> Steps { get; }

    /// <summary>The history cut at logical time <paramref name="time"/>: steps invoked before it; those
    /// that had not returned by then are pending.</summary>
    public History Prefix(long time) =>
        new(Steps.Where(s => s.Invoke < time).Select(s => s.Response < time ? s : s with { Response = long.MaxValue, Error = MemoryError.None }));

    /// <summary>Every call and return in time order, one column per task.</summary>
    public string Render()
    {
        // Columns in order of each task's first call, numbered 1..k: raw task ids differ from run to
        // run (and between a run and its replay), the order of first calls does not.
        int[] tasks = Steps.OrderBy(s => s.Invoke).Select(s => s.Task).Distinct().ToArray();
        const int Width = 44;
        var events = Steps.SelectMany(s => s.Completed
                ? new[] { (Time: s.Invoke, Step: s, Call: true), (Time: s.Response, Step: s, Call: false) }
                : new[] { (Time: s.Invoke, Step: s, Call: true) })
            .OrderBy(e => e.Time);
        var sb = new StringBuilder();
        sb.AppendLine(string.Concat(tasks.Select((_, i) => $"task {i + 1}".PadRight(Width))));
        foreach (var e in events)
        {
            int column = Array.IndexOf(tasks, e.Step.Task);
            string text = e.Call ? $"> {e.Step.Kind}{(e.Step.Kind == StepKind.Store ? string.Empty : " " + e.Step.Token)}" : $"< {e.Step}";
            if (text.Length > Width - 2)
            {
                text = text[..(Width - 2)];
            }

            sb.Append(new string(' ', column * Width)).AppendLine(text);
        }

        return sb.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(Environment.NewLine, Steps.Select(s => string.Create(CultureInfo.InvariantCulture, $"[{s.Invoke},{(s.Completed ? s.Response.ToString(CultureInfo.InvariantCulture) : "..")}] t{s.Task} {s}")));
}
