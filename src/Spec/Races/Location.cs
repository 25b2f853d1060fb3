namespace ManagerVerified.Spec.Races;

/// <summary>Which kind of shared memory a <see cref="Location"/> is.</summary>
public enum LocationKind
{
    /// <summary>A free-list shard's head (atomic; the index is the shard).</summary>
    Head,

    /// <summary>A free-list shard's available count (atomic; the index is the shard).</summary>
    Count,

    /// <summary>A free-list link (atomic).</summary>
    Link,

    /// <summary>A slot word (atomic).</summary>
    SlotWord,

    /// <summary>A slot's write sequence (atomic).</summary>
    WriteSequence,

    /// <summary>A slot's message storage (plain).</summary>
    Message,

    /// <summary>A slot's generation epoch (atomic).</summary>
    Epoch,

    /// <summary>The retired-slot count (atomic).</summary>
    Retired,

    /// <summary>A location of a hand-written test program.</summary>
    Variable,

    /// <summary>Not memory the manager touches: what a monitor keeps about a slot (the index; -1 for the
    /// manager-wide counts). The model checker treats every monitor event as a write of it, so no reordering
    /// it makes can change what a monitor sees.</summary>
    Monitor,

    /// <summary>Not memory the manager touches: the recorded history of one task (the index). A call's
    /// response writes its task's history and a call's invocation reads every other task's, so the model
    /// checker never reorders a response and an invocation: the real-time order the linearizability
    /// checker sees is the same in every execution it counts as equivalent.</summary>
    History,

    /// <summary>Not memory the manager touches: the scenario driver's record of one task's store in flight
    /// (the index is the task), which a read through a token guessed ahead of that store consults.</summary>
    StoreInFlight,
}

/// <summary>One shared memory location: a kind and an index (the slot, or a test program's variable number).</summary>
/// <param name="Kind">The kind.</param>
/// <param name="Index">The slot, the free-list shard (for the head and the count), or a test program's variable number.</param>
public readonly record struct Location(LocationKind Kind, int Index)
{
    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        LocationKind.Head => Index == 0 ? "head" : $"head[{Index}]",
        LocationKind.Count => Index == 0 ? "available" : $"available[{Index}]",
        LocationKind.Link => $"next[{Index}]",
        LocationKind.SlotWord => $"word[{Index}]",
        LocationKind.WriteSequence => $"sequence[{Index}]",
        LocationKind.Message => $"message[{Index}]",
        LocationKind.Epoch => $"epoch[{Index}]",
        LocationKind.Retired => "retired",
        LocationKind.Monitor => Index < 0 ? "monitor[counts]" : $"monitor[{Index}]",
        LocationKind.History => $"history[task {Index}]",
        LocationKind.StoreInFlight => $"store in flight[task {Index}]",
        _ => $"v{Index}",
    };
}

/// <summary>How an access orders memory, after the .NET memory model.</summary>
public enum AccessKind
{
    /// <summary><c>Volatile.Read</c>: an acquire.</summary>
    AcquireLoad,

    /// <summary><c>Volatile.Write</c>: a release.</summary>
    ReleaseStore,

    /// <summary>A successful <see cref="Interlocked"/> operation: a full fence (acquire and release).</summary>
    ReadModifyWrite,

    /// <summary>A failed compare-exchange: it wrote nothing, so it only acquires.</summary>
    FailedCompareExchange,

    /// <summary>A plain read: no ordering; must be ordered after the last write by happens-before.</summary>
    PlainRead,

    /// <summary>A plain write: no ordering; must be ordered after every earlier access by happens-before.</summary>
    PlainWrite,

    /// <summary>An optimistic (racy) read whose value is discarded unless a re-check validates it.</summary>
    OptimisticRead,
}
