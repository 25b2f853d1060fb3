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

    /// <summary>Creates a recorder that keeps at most <paramref name="capacity"/> steps (later ones are dropped and counted).</summary>
    public HistoryRecorder(int capacity = 4096) => _steps = new Step[capacity];

    /// <summary>Steps that did not fit.</summary>
    public int Dropped { get; private set; }

    /// <summary>Records a call; returns its id (or -1 when full).</summary>
    public int Begin(StepKind kind, bool tryOnly, MessageToken token, long owner = 0, long version = 0)
    {
        int id = Interlocked.Increment(ref _count) - 1;
        if (id >= _steps.Length)
        {
            Dropped++;
            return -1;
        }

        long now = Interlocked.Increment(ref _clock);
        _steps[id] = new Step(id, Task.CurrentId ?? Environment.CurrentManagedThreadId, kind, tryOnly, token, owner, version, MemoryError.None, now, long.MaxValue);
        return id;
    }

    /// <summary>Records the return of call <paramref name="id"/>.</summary>
    public void End(int id, MemoryError error, MessageToken token = default, long owner = 0, long version = 0)
    {
        if (id < 0)
        {
            return;
        }

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

    /// <summary>A call and its return at once (for steps with nothing to wait for).</summary>
    public void Instant(StepKind kind, MessageToken token, long version = 0) => End(Begin(kind, false, token, 0, version), MemoryError.None);

    /// <summary>The history so far. Call when no operation is in flight (or accept pending steps).</summary>
    public History Snapshot() => new(_steps.Take(Math.Min(Volatile.Read(ref _count), _steps.Length)));
}
