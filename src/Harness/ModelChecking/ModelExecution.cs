using ManagerVerified.Harness.Checking;
using ManagerVerified.Spec.Checking;
using ManagerVerified.Spec.Races;

namespace ManagerVerified.Harness.ModelChecking;

/// <summary>
/// The scheduler of one model-checked execution. Each task of <see cref="RunTasks"/> runs on its own
/// thread, and exactly one thread runs at a time: a task runs one step (from a scheduling point to the
/// next), hands control back, and the search (<see cref="ModelSearch"/>) says which task takes the next
/// step. The set-up (the code around <see cref="RunTasks"/>) runs alone on the caller's thread, so its
/// points are free; its choices are still explored.
/// </summary>
internal sealed class ModelExecution : IScheduler, IDisposable
{
    [ThreadStatic]
    private static Worker? t_worker;

    private readonly ModelSearch _search;
    private readonly ViolationSink _sink;
    private readonly int _maxSteps;
    private readonly int _livelockSteps;
    private readonly ManualResetEventSlim _phaseDone = new(false);
    private int _running;
    private Worker[] _workers = [];
    private Footprint _footprint = new();
    private int _phase = -1;
    private int _steps;
    private int _alone = -1;     // the task that took the last step alone, or -1
    private int _aloneSteps;     // its steps alone since it last started an operation
    private int _setupSteps;     // the set-up's steps since it last started an operation
    private volatile bool _abandoned;
    private NondeterministicProgramException? _diverged;

    internal ModelExecution(ModelSearch search, ViolationSink sink, int maxSteps, int livelockSteps)
    {
        _search = search;
        _sink = sink;
        _maxSteps = maxSteps;
        _livelockSteps = livelockSteps;
    }

    /// <summary>Scheduling steps taken by concurrent tasks.</summary>
    internal int Steps => _steps;

    /// <summary>The interleavings of this execution's steps without any reduction: for each phase, the
    /// multinomial of its tasks' step counts (choices and blocking not counted).</summary>
    internal double NaiveInterleavings { get; private set; } = 1;

    /// <summary>Why the execution was abandoned, or null when it ran to its end.</summary>
    internal AbandonReason? Abandoned { get; private set; }

    public bool IsSystematic => true;

    public bool TracksAccesses => true;

    public Task RunTasks(int count, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 63); // tasks are bits of a 64-bit set, 0 being the set-up
        if (t_worker is not null)
        {
            throw new InvalidOperationException("the model checker runs tasks from the set-up only, not from inside a task");
        }

        _phase++;
        _running = 0;
        _alone = -1;
        _aloneSteps = 0;
        _phaseDone.Reset();
        _workers = new Worker[count + 1];
        for (int id = 1; id <= count; id++)
        {
            var worker = new Worker(id, this);
            _workers[id] = worker;
            int index = id - 1;
            ExecutionContext? flow = ExecutionContext.Capture(); // what a new thread would inherit from the set-up
            worker.Thread = TaskThreads.Start(() =>
            {
                if (flow is null)
                {
                    WorkerMain(worker, () => body(index));
                }
                else
                {
                    ExecutionContext.Run(flow, _ => WorkerMain(worker, () => body(index)), null);
                }
            });
        }

        // The set-up takes the first decision, then waits: from here the tasks hand the baton to each other.
        Decide(stepEnded: false)?.Go.Release();
        _phaseDone.Wait();
        if (Abandoned is not null)
        {
            TearDown();
            if (_diverged is not null)
            {
                throw _diverged;
            }

            throw new ExecutionAbandonedException();
        }

        foreach (Worker w in _workers.Skip(1))
        {
            w.Thread!.Join();
        }

        // (sum n_i)! / prod n_i!, as a product of binomials.
        int total = 0;
        foreach (Worker w in _workers.Skip(1))
        {
            for (int s = 1; s <= w.StepsTaken; s++)
            {
                NaiveInterleavings *= (double)(total + s) / s;
            }

            total += w.StepsTaken;
        }

        _workers = [_workers[0]];
        return Task.CompletedTask;
    }

    /// <summary>
    /// Takes the next scheduling decision, on whichever thread holds the baton (the task whose step just
    /// ended, or the set-up at the start): the task that takes the next step, or null when the phase is over
    /// (every task finished) or abandoned; the set-up is then woken.
    /// </summary>
    private Worker? Decide(bool stepEnded)
    {
        if (stepEnded)
        {
            try
            {
                _search.StepEnded(_footprint);
            }
            catch (NondeterministicProgramException e)
            {
                _diverged ??= e; // thrown on a task's thread: the set-up rethrows it
                return Abandon(AbandonReason.Diverged);
            }
        }

        ulong enabled = 0;
        bool unfinished = false;
        for (int id = 1; id < _workers.Length; id++)
        {
            Worker w = _workers[id];
            if (w.Finished)
            {
                continue;
            }

            unfinished = true;
            bool ready;
            try
            {
                ready = w.Wait is not { } wait || wait.CanGiveUp || wait.Condition();
            }
            catch (Exception e) when (e is not ExecutionAbandonedException)
            {
                _sink.Report(SpecProperty.UnhandledException, $"the wait condition of task {w.Id} threw {e}");
                return Abandon(AbandonReason.Deadlock);
            }

            if (ready)
            {
                enabled |= 1UL << id;
            }
        }

        if (!unfinished)
        {
            _phaseDone.Set();
            return null;
        }

        if (enabled == 0)
        {
            _sink.Report(SpecProperty.Deadlock, $"every unfinished task waits: tasks {string.Join(", ", _workers.Skip(1).Where(w => !w.Finished).Select(w => w.Id))} (after {_steps} steps)");
            return Abandon(AbandonReason.Deadlock);
        }

        // A task alone (every other one finished or waiting) for that many steps without starting another
        // operation is a livelock: nobody else can change what it reads. Steps with company are only a cut.
        if ((enabled & (enabled - 1)) == 0)
        {
            int alone = System.Numerics.BitOperations.TrailingZeroCount(enabled);
            _aloneSteps = alone == _alone ? _aloneSteps + 1 : 1;
            _alone = alone;
            if (_aloneSteps >= _livelockSteps)
            {
                _sink.Report(SpecProperty.StepBound, $"livelock: task {alone} took {_aloneSteps} steps alone (every other task finished or waiting) within one operation");
                return Abandon(AbandonReason.Livelock);
            }
        }
        else
        {
            _alone = -1;
            _aloneSteps = 0;
        }

        if (_steps >= _maxSteps)
        {
            return Abandon(AbandonReason.StepBound);
        }

        int next;
        try
        {
            next = _search.Schedule(_phase, enabled, _running);
        }
        catch (NondeterministicProgramException e)
        {
            _diverged ??= e; // thrown on a task's thread: the set-up rethrows it
            return Abandon(AbandonReason.Diverged);
        }

        if (next < 0)
        {
            return Abandon(AbandonReason.SleepBlocked);
        }

        _footprint = new Footprint();
        _steps++;
        _running = next;
        _workers[next].StepsTaken++;
        return _workers[next];
    }

    private Worker? Abandon(AbandonReason reason)
    {
        Abandoned ??= reason;
        _abandoned = true;
        _phaseDone.Set();
        return null;
    }

    public void Dispose()
    {
        _phaseDone.Dispose();
        foreach (Worker w in _workers.Skip(1))
        {
            w.Go.Dispose();
        }
    }

    /// <summary>Lets every unfinished task unwind (each throws at its next point), one at a time.</summary>
    private void TearDown()
    {
        foreach (Worker w in _workers.Skip(1))
        {
            if (!w.Finished)
            {
                w.Go.Release();
            }

            w.Thread!.Join();
        }

        _workers = [_workers[0]];
    }

    private void WorkerMain(Worker worker, Action body)
    {
        t_worker = worker;
        worker.Go.Wait();
        try
        {
            if (!_abandoned)
            {
                body();
            }
        }
        catch (ExecutionAbandonedException)
        {
        }
        catch (NondeterministicProgramException e)
        {
            _diverged ??= e; // a choice that did not replay: the set-up rethrows it
            Abandon(AbandonReason.Diverged);
        }
        catch (Exception e) when (!_abandoned)
        {
            _sink.Report(SpecProperty.UnhandledException, $"task {worker.Id} threw {e}");
        }
        catch (Exception)
        {
            // unwinding an abandoned execution: anything may fail on the way out
        }
        finally
        {
            worker.Finished = true;
            t_worker = null;
            if (!_abandoned)
            {
                Decide(stepEnded: true)?.Go.Release();
            }
        }
    }

    /// <summary>Ends the running task's step: decides who goes next, hands over (unless it is this task
    /// again), and waits for the baton to come back.</summary>
    private void Yield(Worker worker)
    {
        if (_abandoned)
        {
            throw new ExecutionAbandonedException();
        }

        Worker? next = Decide(stepEnded: true);
        if (next != worker)
        {
            next?.Go.Release();
            worker.Go.Wait();
        }

        if (_abandoned)
        {
            throw new ExecutionAbandonedException();
        }
    }

    private Worker? Current => t_worker is { } w && ReferenceEquals(w.Owner, this) ? w : null;

    public void OperationStarted()
    {
        if (Current is { } worker)
        {
            if (worker.Id == _alone)
            {
                _aloneSteps = 0;
            }
        }
        else
        {
            _setupSteps = 0;
        }
    }

    public void Point()
    {
        if (Current is { } worker)
        {
            Yield(worker);
        }
        else if (++_setupSteps >= _livelockSteps)
        {
            // The set-up runs alone: a livelock, as for a task alone (see Decide).
            _sink.Report(SpecProperty.StepBound, $"livelock: the set-up took {_setupSteps} steps within one operation");
            Abandon(AbandonReason.Livelock);
            throw new ExecutionAbandonedException();
        }
    }

    public void Accessed(Location location, AccessKind kind)
    {
        if (Current is not null)
        {
            _footprint.Add(location, Footprint.IsWrite(kind));
        }
    }

    public void WaitingOn(Location location)
    {
        if (Current is { } worker)
        {
            worker.WaitLocation = location;
        }
    }

    public bool WaitUntil(Func<bool> condition, Func<bool>? giveUp)
    {
        ArgumentNullException.ThrowIfNull(condition);
        if (Current is not { } worker)
        {
            // The set-up runs alone: nobody else can make the condition true.
            if (condition())
            {
                return true;
            }

            if (giveUp is not null)
            {
                return false; // a timed wait that nothing can end: it times out
            }

            _sink.Report(SpecProperty.Deadlock, "the set-up waits for a condition only a task could make true, and no task runs");
            Abandon(AbandonReason.Deadlock);
            throw new ExecutionAbandonedException();
        }

        if (worker.WaitLocation is null)
        {
            throw new InvalidOperationException("a task's wait must name what it waits on (IScheduler.WaitingOn) first: the model checker orders the waiting step after the writes of that location");
        }

        worker.Wait = new PendingWait(condition, giveUp is not null);
        try
        {
            Yield(worker);
        }
        finally
        {
            worker.Wait = null;
        }

        if (worker.WaitLocation is Location read)
        {
            _footprint.Add(read, writes: false);
            worker.WaitLocation = null;
        }

        // Scheduled: enabled because the condition holds or because the wait may give up. A timed wait
        // whose condition holds may still give up (its deadline passed just then): both are explored.
        if (!condition())
        {
            return false;
        }

        return giveUp is null || _search.Choose(SetupChoice: false, 2) == 0;
    }

    public int Choose(int count)
    {
        if (count <= 1)
        {
            return 0;
        }

        if (Current is not { } worker)
        {
            return _search.Choose(SetupChoice: true, count);
        }

        // The choice opens a step of its own, so the task's next step is one transition for each value.
        Yield(worker);
        return _search.Choose(SetupChoice: false, count);
    }

    internal enum AbandonReason
    {
        /// <summary>The program did not follow the decisions it was replayed with.</summary>
        Diverged,

        SleepBlocked,
        StepBound,
        Deadlock,

        /// <summary>A task or the set-up ran alone for <see cref="ModelCheckOptions.LivelockSteps"/> (reported as a violation).</summary>
        Livelock,
    }

    /// <summary>Threads for the tasks, kept between executions (a model-checking run starts thousands of
    /// executions; starting two threads for each would cost more than the steps).</summary>
    internal static class TaskThreads
    {
        private static readonly System.Collections.Concurrent.ConcurrentBag<Pooled> s_idle = [];

        internal static Lease Start(Action work)
        {
            if (!s_idle.TryTake(out Pooled? thread))
            {
                thread = new Pooled();
            }

            var lease = new Lease(thread);
            thread.Run(work, lease);
            return lease;
        }

        /// <summary>One task's use of a pooled thread; <see cref="Join"/> waits for the task and returns the thread.</summary>
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Join disposes the event; a lease is joined exactly when its task is over.")]
        internal sealed class Lease(Pooled thread)
        {
            private readonly ManualResetEventSlim _done = new(false);
            private bool _joined;

            internal void Finished() => _done.Set();

            internal void Join()
            {
                if (_joined)
                {
                    return;
                }

                _done.Wait();
                _done.Dispose();
                _joined = true;
                s_idle.Add(thread);
            }
        }

        [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A pooled thread lives as long as the process.")]
        internal sealed class Pooled
        {
            private readonly SemaphoreSlim _start = new(0);
            private Action? _work;
            private Lease? _lease;

            internal Pooled()
            {
                var thread = new Thread(Loop) { IsBackground = true, Name = "model task" };
                thread.Start();
            }

            internal void Run(Action work, Lease lease)
            {
                _work = work;
                _lease = lease;
                _start.Release();
            }

            private void Loop()
            {
                while (true)
                {
                    _start.Wait();
                    Action work = _work!;
                    Lease lease = _lease!;
                    _work = null;
                    _lease = null;
                    try
                    {
                        work();
                    }
                    finally
                    {
                        lease.Finished();
                    }
                }
            }
        }
    }

    private sealed record PendingWait(Func<bool> Condition, bool CanGiveUp);

    private sealed class Worker(int id, ModelExecution owner)
    {
        public int Id { get; } = id;

        public ModelExecution Owner { get; } = owner;

        public SemaphoreSlim Go { get; } = new(0);

        public TaskThreads.Lease? Thread { get; set; }

        public volatile bool Finished;

        public PendingWait? Wait { get; set; }

        public Location? WaitLocation { get; set; }

        public int StepsTaken { get; set; }
    }
}
