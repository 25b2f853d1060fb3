namespace ManagerVerified.Spec.Linearizability;

/// <summary>
/// Records a bounded concurrent history, lock-free, from any number of threads or Coyote tasks. Logical
/// time is one shared counter, so an operation that returned before another was called has a smaller
/// response time than the other's invocation time: the real-time order the checker must respect.
/// </summary>
public sealed class HistoryRecorder
{
    private readonly Step[] _steps;
    private long _clock;
    private int _count;
    private int _dropped;
    private long _firstDropped = long.MaxValue;

    /// <summary>Creates a recorder that keeps at most <paramref name="capacity"/> steps (later ones are dropped and counted).</summary>
    public HistoryRecorder(int capacity = 4096) => _steps = new Step[capacity];

    /// <summary>A recorder that records nothing (a run without the linearizability check): its
    /// <see cref="Begin"/> returns -1, which <see cref="End"/> ignores.</summary>
    public static HistoryRecorder Off { get; } = new(0);

    /// <summary>False for <see cref="Off"/>.</summary>
    public bool IsOn => _steps.Length > 0;

    /// <summary>Steps that did not fit.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    /// <summary>Told of every invocation (false) and response (true) as it is recorded: a model checker
    /// must not reorder them. Null for none; <see cref="Off"/> ignores it.</summary>
    public Action<bool>? Observer { get; set; }

    /// <summary>Records a call (<paramref name="timed"/>: one with a timeout); returns its id (or -1 when full).</summary>
    public int Begin(StepKind kind, bool tryOnly, MessageToken token, long owner = 0, long version = 0, bool timed = false)
    {
        if (!IsOn)
        {
            return -1;
        }

        Observer?.Invoke(false);

        // Time first, then a place: every dropped call still has a time, so Snapshot can cut the
        // history before the first of them and never hand the checker a history with holes.
        long now = Interlocked.Increment(ref _clock);
        int id = Interlocked.Increment(ref _count) - 1;
        if (id >= _steps.Length)
        {
            Interlocked.Increment(ref _dropped);
            long seen = Volatile.Read(ref _firstDropped);
            while (now < seen)
            {
                long prior = Interlocked.CompareExchange(ref _firstDropped, now, seen);
                if (prior == seen)
                {
                    break;
                }

                seen = prior;
            }

            return -1;
        }

        _steps[id] = new Step(id, Task.CurrentId ?? Environment.CurrentManagedThreadId, kind, tryOnly, token, owner, version, MemoryError.None, now, long.MaxValue, timed);
        return id;
    }

    /// <summary>Records the return of call <paramref name="id"/>.</summary>
    public void End(int id, MemoryError error, MessageToken token = default, long owner = 0, long version = 0)
    {
        if (id < 0)
        {
            return;
        }

        Observer?.Invoke(true);
        long now = Interlocked.Increment(ref _clock);
        Step s = _steps[id];
        _steps[id] = s with
        {
            Error = error,
            Token = token == default ? s.Token : token,
            Owner = owner == 0 ? s.Owner : owner,
            Version = version == 0 ? s.Version : version,
            Response = now,
        };
    }

    /// <summary>The history so far. Call when no operation is in flight. When steps were dropped, the
    /// history is cut just before the first dropped call: every call made before it is recorded, so the
    /// cut is a complete prefix (calls still running at the cut become pending).</summary>
    public History Snapshot()
    {
        var history = new History(_steps.Take(Math.Min(Volatile.Read(ref _count), _steps.Length)));
        long cut = Volatile.Read(ref _firstDropped);
        return cut == long.MaxValue ? history : history.Prefix(cut);
    }
}
