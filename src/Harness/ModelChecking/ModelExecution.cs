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
    private readonly SemaphoreSlim _back = new(0);
    private Worker[] _workers = [];
    private Footprint _footprint = new();
    private int _phase = -1;
    private int _steps;
    private volatile bool _abandoned;

    internal ModelExecution(ModelSearch search, ViolationSink sink, int maxSteps)
    {
        _search = search;
        _sink = sink;
        _maxSteps = maxSteps;
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
        if (t_worker is not null)
        {
            throw new InvalidOperationException("the model checker runs tasks from the set-up only, not from inside a task");
        }

        _phase++;
        _workers = new Worker[count + 1];
        for (int id = 1; id <= count; id++)
        {
            var worker = new Worker(id);
            _workers[id] = worker;
            int index = id - 1;
            worker.Thread = new Thread(() => WorkerMain(worker, () => body(index))) { IsBackground = true, Name = $"model task {id}" };
            worker.Thread.Start();
        }

        int running = 0;
        try
        {
            while (true)
            {
                ulong enabled = 0;
                bool unfinished = false;
                for (int id = 1; id <= count; id++)
                {
                    Worker w = _workers[id];
                    if (w.Finished)
                    {
                        continue;
                    }

                    unfinished = true;
                    if (w.Wait is not { } wait || wait.CanGiveUp || wait.Condition())
                    {
                        enabled |= 1UL << id;
                    }
                }

                if (!unfinished)
                {
                    break;
                }

                if (enabled == 0)
                {
                    _sink.Report(SpecProperty.Deadlock, $"every unfinished task waits: tasks {string.Join(", ", _workers.Skip(1).Where(w => !w.Finished).Select(w => w.Id))} (after {_steps} steps)");
                    Abandon(AbandonReason.Deadlock);
                }

                if (_steps >= _maxSteps)
                {
                    Abandon(AbandonReason.StepBound);
                }

                int next = _search.Schedule(_phase, enabled, running);
                if (next < 0)
                {
                    Abandon(AbandonReason.SleepBlocked);
                }

                _footprint = new Footprint();
                _steps++;
                _workers[next].StepsTaken++;
                _workers[next].Go.Release();
                _back.Wait();
                _search.StepEnded(_footprint);
                running = next;
            }
        }
        catch (ExecutionAbandonedException)
        {
            TearDown();
            throw;
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

        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _back.Dispose();
        foreach (Worker w in _workers.Skip(1))
        {
            w.Go.Dispose();
        }
    }

    private void Abandon(AbandonReason reason)
    {
        Abandoned ??= reason;
        throw new ExecutionAbandonedException();
    }

    /// <summary>Lets every unfinished task unwind (each throws at its next point), one at a time.</summary>
    private void TearDown()
    {
        _abandoned = true;
        foreach (Worker w in _workers.Skip(1))
        {
            if (!w.Finished)
            {
                w.Go.Release();
                _back.Wait();
            }

            w.Thread!.Join();
        }
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
            _back.Release();
        }
    }

    /// <summary>Ends the running task's step and waits until the search gives it the next one.</summary>
    private void Yield(Worker worker)
    {
        if (_abandoned)
        {
            throw new ExecutionAbandonedException();
        }

        _back.Release();
        worker.Go.Wait();
        if (_abandoned)
        {
            throw new ExecutionAbandonedException();
        }
    }

    private Worker? Current => t_worker is { } w && ReferenceEquals(_workers.ElementAtOrDefault(w.Id), w) ? w : null;

    public void Point()
    {
        if (Current is { } worker)
        {
            Yield(worker);
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

            if (giveUp is not null && _search.Choose(SetupChoice: true, 2) == 1)
            {
                return false;
            }

            _sink.Report(SpecProperty.Deadlock, "the set-up waits for a condition only a task could make true, and no task runs");
            Abandon(AbandonReason.Deadlock);
            return false;
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
        SleepBlocked,
        StepBound,
        Deadlock,
    }

    private sealed record PendingWait(Func<bool> Condition, bool CanGiveUp);

    private sealed class Worker(int id)
    {
        public int Id { get; } = id;

        public SemaphoreSlim Go { get; } = new(0);

        public Thread? Thread { get; set; }

        public volatile bool Finished;

        public PendingWait? Wait { get; set; }

        public Location? WaitLocation { get; set; }

        public int StepsTaken { get; set; }
    }
}
