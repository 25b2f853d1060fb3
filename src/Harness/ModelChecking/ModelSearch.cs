using System.Numerics;

namespace ManagerVerified.Harness.ModelChecking;

/// <summary>
/// Source-DPOR with sleep sets (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014, Algorithm 1), stateless:
/// every execution re-runs the program from the start, replaying the decisions of a prefix of the
/// previous execution and then taking new ones.
/// <list type="bullet">
/// <item>A node is a state of the execution: the tasks enabled there, the task that took the step from it
/// (and the value of that step's choice), the tasks still to explore from it (backtrack), those explored
/// (done) and those asleep (their step commutes with everything explored since they were explored).</item>
/// <item>After each execution, every new step is checked for races: an earlier step of another task that it
/// depends on (a shared location, one of them writes) with no step between them ordering the two. For a race
/// (e, e') the execution reversing it must start, at e's node, with one of the initials of
/// notdep(e).e' (the steps after e that do not depend on it, then e'); one is added unless the node's
/// backtrack set already holds one.</item>
/// <item>Choices inside a step (a shard hint, a timed wait giving up) are explored exhaustively: each value
/// is its own child of the node.</item>
/// </list>
/// With a preemption bound there is no reduction: every enabled task is an alternative at every node, as far
/// as the bound allows (iterative context bounding, Musuvathi and Qadeer 2007: complete for its bound; DPOR
/// and sleep sets under a bound miss executions within it, Coons, Musuvathi, McKinley 2013).
/// Proofs and what "complete" means: docs/verification.md.
/// </summary>
internal sealed class ModelSearch
{
    private readonly List<Node> _stack = [];
    private readonly int? _bound;
    private readonly IReadOnlyList<ModelDecision>? _forced;
    private int _depth;
    private int _replayTo;

    internal ModelSearch(int? preemptionBound, IReadOnlyList<ModelDecision>? forced = null)
    {
        _bound = preemptionBound;
        _forced = forced;
    }

    /// <summary>Alternatives the preemption bound kept from being explored.</summary>
    internal long PreemptionCuts { get; private set; }

    private bool SleepSets => _bound is null && _forced is null;

    /// <summary>Starts an execution: the first <c>_replayTo</c> nodes are replayed.</summary>
    internal void BeginExecution() => _depth = 0;

    /// <summary>The current execution's decisions so far.</summary>
    internal ModelTrace Trace() => new([.. _stack.Take(_depth).Select(n => new ModelDecision(n.Thread, n.ChoiceCount > 0 ? n.Choice : -1))]);

    /// <summary>The current execution's preemptions so far.</summary>
    internal int Preemptions() => _stack.Take(_depth).Count(n => n.Preemption);

    /// <summary>The task that takes the next step of phase <paramref name="phase"/> (-1: a set-up choice),
    /// or -1 when every enabled task is asleep (the execution is equivalent to one explored already).</summary>
    internal int Schedule(int phase, ulong enabled, int running)
    {
        Node node;
        if (_depth < _stack.Count)
        {
            node = _stack[_depth];
            if (node.Enabled != enabled || node.Phase != phase)
            {
                throw new NondeterministicProgramException(
                    $"replaying step {_depth}: tasks {Tasks(enabled)} are enabled in phase {phase}, but were {Tasks(node.Enabled)} in phase {node.Phase}");
            }
        }
        else
        {
            node = new Node(phase, enabled, running);
            if (SleepSets)
            {
                Inherit(node);
            }

            ulong candidates = enabled & ~node.SleepMask;
            if (candidates == 0)
            {
                return -1;
            }

            int chosen = (candidates & Bit(running)) != 0 ? running : Lowest(candidates);
            if (_forced is not null && _depth < _forced.Count)
            {
                chosen = _forced[_depth].Task;
                if ((enabled & Bit(chosen)) == 0)
                {
                    throw new NondeterministicProgramException($"the trace's step {_depth} runs task {chosen}, which is not enabled (enabled: {Tasks(enabled)})");
                }
            }

            node.Thread = chosen;

            // Bounded: every enabled task is an alternative at every node, within the bound (iterative
            // context bounding, complete for its bound); unbounded: DPOR adds the alternatives races need.
            node.Backtrack = _bound is null ? Bit(chosen) : enabled;
            _stack.Add(node);
        }

        node.Preemption = IsPreemption(node, node.Thread);
        _depth++;
        return node.Thread;
    }

    /// <summary>The value of the current step's choice among <paramref name="count"/>; a set-up choice gets a node of its own.</summary>
    internal int Choose(bool SetupChoice, int count)
    {
        if (SetupChoice)
        {
            Schedule(-1, 1, 0);
        }

        Node node = _stack[_depth - 1];
        if (node.ChoiceCount == 0)
        {
            node.ChoiceCount = count;
            node.Choice = _forced is not null && _depth - 1 < _forced.Count && _forced[_depth - 1].Choice >= 0 ? _forced[_depth - 1].Choice : 0;
            if (node.Choice >= count)
            {
                throw new NondeterministicProgramException($"the trace's step {_depth - 1} chooses {node.Choice} of {count}");
            }
        }
        else if (node.ChoiceCount != count)
        {
            throw new NondeterministicProgramException($"replaying step {_depth - 1}: a choice among {count}, but among {node.ChoiceCount} before");
        }

        if (SetupChoice)
        {
            node.Event = new Footprint();
        }

        return node.Choice;
    }

    /// <summary>The step just taken accessed <paramref name="footprint"/>. A replayed step must access what it did before.</summary>
    internal void StepEnded(Footprint footprint)
    {
        Node node = _stack[_depth - 1];
        if (node.Event is { } before && !before.SameAs(footprint))
        {
            throw new NondeterministicProgramException($"replaying step {_depth - 1} (task {node.Thread}): it accessed {footprint}, but {before} before");
        }

        node.Event = footprint;
    }

    /// <summary>Ends an execution: finds the races of its new steps, then moves to the next execution's
    /// prefix. False when nothing is left to explore.</summary>
    internal bool EndExecution()
    {
        if (_depth < _stack.Count)
        {
            throw new NondeterministicProgramException($"the execution ended after {_depth} steps, before the {_stack.Count} it replays");
        }

        if (_forced is null && _bound is null)
        {
            AddBacktracking(Math.Max(0, _replayTo - 1));
        }

        return _forced is null && Backtrack();
    }

    private bool Backtrack()
    {
        while (_stack.Count > 0)
        {
            int i = _stack.Count - 1;
            Node node = _stack[i];
            node.ThreadFootprint = node.Event is null ? node.ThreadFootprint : node.Event.Union(node.ThreadFootprint);
            if (node.ChoiceCount > 0 && node.Choice + 1 < node.ChoiceCount)
            {
                node.Choice++;
                node.Event = null;
                node.Before = null;
                _replayTo = i + 1;
                return true;
            }

            node.Done |= Bit(node.Thread);
            node.DoneFootprints[node.Thread] = node.ThreadFootprint ?? new Footprint();
            ulong candidates = node.Backtrack & node.Enabled & ~node.Done & ~node.SleepMask;
            ulong allowed = candidates;
            if (_bound is int bound)
            {
                int before = _stack.Take(i).Count(n => n.Preemption);
                for (ulong rest = candidates; rest != 0; rest &= rest - 1)
                {
                    int q = BitOperations.TrailingZeroCount(rest);
                    if (IsPreemption(node, q) && before >= bound)
                    {
                        allowed &= ~Bit(q);
                    }
                }
            }

            if (allowed != 0)
            {
                node.Thread = Lowest(allowed);
                node.Choice = -1;
                node.ChoiceCount = 0;
                node.ThreadFootprint = null;
                node.Event = null;
                node.Before = null;
                _replayTo = i + 1;
                return true;
            }

            PreemptionCuts += BitOperations.PopCount(candidates);
            _stack.RemoveAt(i);
        }

        return false;
    }

    /// <summary>A node's sleep set: the tasks asleep at its parent and those explored from its parent before
    /// the step taken, whose step commutes with that step.</summary>
    private void Inherit(Node node)
    {
        if (_depth == 0)
        {
            return;
        }

        Node parent = _stack[_depth - 1];
        if (parent.Phase != node.Phase || node.Phase < 0 || parent.Event is null)
        {
            return;
        }

        foreach ((int task, Footprint footprint) in parent.Sleep.Concat(parent.DoneFootprints.Select(d => (d.Key, d.Value))))
        {
            if (task != parent.Thread && !footprint.ConflictsWith(parent.Event) && (node.SleepMask & Bit(task)) == 0)
            {
                node.Sleep.Add((task, footprint));
                node.SleepMask |= Bit(task);
            }
        }
    }

    /// <summary>The race analysis of every step from <paramref name="firstNew"/> on, phase by phase.</summary>
    private void AddBacktracking(int firstNew)
    {
        int start = 0;
        while (start < _stack.Count)
        {
            int end = start;
            while (end < _stack.Count && _stack[end].Phase == _stack[start].Phase)
            {
                end++;
            }

            if (_stack[start].Phase >= 0 && end > firstNew)
            {
                AnalyzePhase(start, end, firstNew);
            }

            start = end;
        }
    }

    private void AnalyzePhase(int start, int end, int firstNew)
    {
        int n = end - start;
        int words = (n + 63) / 64;
        var before = new ulong[n][]; // before[k]: the steps that happen before step k, k included
        var lastOf = new Dictionary<int, int>();
        var dependencies = new List<int>();
        for (int k = 0; k < n; k++)
        {
            Node step = _stack[start + k];
            int previous = lastOf.GetValueOrDefault(step.Thread, -1);
            lastOf[step.Thread] = k;
            if (start + k < firstNew && step.Before is not null)
            {
                before[k] = step.Before; // a replayed step: its past is the same as when it was analyzed
                continue;
            }

            before[k] = new ulong[(k >> 6) + 1];
            Set(before[k], k);
            if (previous >= 0)
            {
                Or(before[k], before[previous]);
            }

            dependencies.Clear();
            for (int j = 0; j < k; j++)
            {
                Node other = _stack[start + j];
                if (other.Thread != step.Thread && other.Event!.ConflictsWith(step.Event!))
                {
                    dependencies.Add(j);
                    Or(before[k], before[j]);
                }
            }

            step.Before = before[k];
            foreach (int j in dependencies)
            {
                // A race: nothing between j and k orders them (not the task's own earlier step, not a later dependency).
                if ((previous >= 0 && Has(before[previous], j)) || dependencies.Any(m => m > j && Has(before[m], j)))
                {
                    continue;
                }

                Reverse(start, j, k, before, words);
            }
        }
    }

    /// <summary>Makes sure the node of step <paramref name="j"/> will explore an execution where step
    /// <paramref name="k"/>'s task overtakes it: adds an initial of notdep(j).k unless one is there.</summary>
    private void Reverse(int start, int j, int k, ulong[][] before, int words)
    {
        var v = new ulong[words];
        for (int m = j + 1; m < k; m++)
        {
            if (!Has(before[m], j))
            {
                Set(v, m);
            }
        }

        ulong initials = 0;
        for (int m = j + 1; m < k; m++)
        {
            if (Has(v, m) && !IntersectsExcept(before[m], v, m))
            {
                initials |= Bit(_stack[start + m].Thread);
            }
        }

        int racer = _stack[start + k].Thread;
        if (!IntersectsExcept(before[k], v, k))
        {
            initials |= Bit(racer);
        }

        Node node = _stack[start + j];
        AddInitial(node, initials, racer);
    }

    private static void AddInitial(Node node, ulong initials, int racer)
    {
        if ((initials & node.Backtrack) != 0 || initials == 0)
        {
            return;
        }

        int q = (initials & Bit(racer)) != 0 ? racer : Lowest(initials);
        node.Backtrack |= (node.Enabled & Bit(q)) != 0 ? Bit(q) : node.Enabled;
    }

    private static bool IsPreemption(Node node, int task) =>
        node.Running != 0 && task != node.Running && (node.Enabled & Bit(node.Running)) != 0;

    private static ulong Bit(int task) => 1UL << task;

    private static int Lowest(ulong set) => BitOperations.TrailingZeroCount(set);

    private static string Tasks(ulong set) => string.Join(",", Enumerable.Range(0, 64).Where(t => (set & Bit(t)) != 0));

    private static void Set(ulong[] bits, int i) => bits[i >> 6] |= 1UL << (i & 63);

    private static bool Has(ulong[] bits, int i) => (i >> 6) < bits.Length && (bits[i >> 6] & (1UL << (i & 63))) != 0;

    /// <summary>into |= from; <paramref name="from"/> may be shorter (a step's past has no bits above the step).</summary>
    private static void Or(ulong[] into, ulong[] from)
    {
        for (int w = 0; w < from.Length; w++)
        {
            into[w] |= from[w];
        }
    }

    private static bool IntersectsExcept(ulong[] a, ulong[] b, int except)
    {
        for (int w = 0; w < Math.Min(a.Length, b.Length); w++)
        {
            ulong both = a[w] & b[w];
            if (w == except >> 6)
            {
                both &= ~(1UL << (except & 63));
            }

            if (both != 0)
            {
                return true;
            }
        }

        return false;
    }

    private sealed class Node(int phase, ulong enabled, int running)
    {
        public int Phase { get; } = phase;

        public ulong Enabled { get; } = enabled;

        /// <summary>The task that took the previous step of this phase (0: none): switching away from it while it is enabled is a preemption.</summary>
        public int Running { get; } = running;

        public int Thread { get; set; }

        public int Choice { get; set; } = -1;

        public int ChoiceCount { get; set; }

        public ulong Backtrack { get; set; }

        public ulong Done { get; set; }

        public bool Preemption { get; set; }

        public Footprint? Event { get; set; }

        /// <summary>The steps of its phase that happen before this one (itself included), once analyzed.</summary>
        public ulong[]? Before { get; set; }

        public Footprint? ThreadFootprint { get; set; }

        public Dictionary<int, Footprint> DoneFootprints { get; } = [];

        public List<(int Task, Footprint Footprint)> Sleep { get; } = [];

        public ulong SleepMask { get; set; }
    }
}
