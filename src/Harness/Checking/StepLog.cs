using ManagerVerified.Spec.Checking;
using ManagerVerified.Spec.Races;

namespace ManagerVerified.Harness.Checking;

/// <summary>One shared access of a recorded run: who made it, inside which operation, where, how and what
/// it read or wrote.</summary>
/// <param name="Index">The step's position in the run (0-based).</param>
/// <param name="Task">The task (0: the scenario's set-up and final checks).</param>
/// <param name="Operation">The operation the task was performing.</param>
/// <param name="Access">How it accessed memory.</param>
/// <param name="Location">The word, link, sequence, epoch or message it touched.</param>
/// <param name="Value">The value read, written, or seen by a compare-exchange (0 for message accesses).</param>
/// <param name="Waits">The task blocks here until <paramref name="Location"/> is no longer <paramref name="Value"/>.</param>
public sealed record SeamStep(int Index, int Task, string Operation, AccessKind Access, string Location, long Value, bool Waits = false);

/// <summary>
/// Every seam access of one run, in order, and the step at which a property failed: what report.html
/// draws. Recorded only when a bug's trace is replayed for the report, never while exploring.
/// </summary>
public sealed class StepLog
{
    private readonly List<SeamStep> _steps = [];
    private readonly Dictionary<int, string> _operations = [];

    /// <summary>The steps in order.</summary>
    public IReadOnlyList<SeamStep> Steps => _steps;

    /// <summary>The index of the last step before the property failed, or null when none did (or the
    /// engine, not a monitor, reported the bug: a deadlock, a hang).</summary>
    public int? FailedAt { get; private set; }

    /// <summary>The violation reported, or null.</summary>
    public Violation? Failure { get; private set; }

    /// <summary>True when the violation came from the end-of-run checks (the quiescent state, the
    /// linearizability of the whole history), after every task had finished: no step caused it alone.</summary>
    public bool FailedAtEnd { get; private set; }

    private bool _ended;

    /// <summary>Forgets everything (a new iteration).</summary>
    public void Clear()
    {
        _steps.Clear();
        _operations.Clear();
        FailedAt = null;
        Failure = null;
        FailedAtEnd = false;
        _ended = false;
    }

    /// <summary>Every task has finished: what fails from here is an end-of-run check.</summary>
    internal void EndOfRun() => _ended = true;

    internal void SetOperation(int task, string operation) => _operations[task] = operation;

    internal void Add(int task, AccessKind access, Location location, long value, bool waits = false) =>
        _steps.Add(new SeamStep(_steps.Count, task, _operations.GetValueOrDefault(task, task == 0 ? "set-up" : "?"), access, location.ToString(), value, waits));

    internal void Failed(Violation violation)
    {
        if (Failure is null)
        {
            Failure = violation;
            FailedAtEnd = _ended;
            FailedAt = _ended || _steps.Count == 0 ? null : _steps.Count - 1;
        }
    }

    /// <summary>Indices of the steps that follow a preemption: the task changed although the previous
    /// task still had steps to take (it was switched out: not finished, not blocked in a wait, and not the
    /// set-up task 0, which only waits for the others between its steps).</summary>
    public IReadOnlySet<int> Preemptions()
    {
        var lastOf = new Dictionary<int, int>();
        foreach (SeamStep s in _steps)
        {
            lastOf[s.Task] = s.Index;
        }

        var preempted = new HashSet<int>();
        for (int i = 1; i < _steps.Count; i++)
        {
            SeamStep previous = _steps[i - 1];
            if (_steps[i].Task != previous.Task && previous.Task != 0 && !previous.Waits && lastOf[previous.Task] > previous.Index)
            {
                preempted.Add(i);
            }
        }

        return preempted;
    }

    /// <summary>Reports to <paramref name="inner"/> after marking the step at which the violation came.</summary>
    internal sealed class MarkingSink(ViolationSink inner, StepLog log) : ViolationSink
    {
        public override void Report(Violation violation)
        {
            log.Failed(violation);
            inner.Report(violation);
        }
    }
}
