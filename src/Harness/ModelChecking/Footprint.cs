using ManagerVerified.Spec.Races;

namespace ManagerVerified.Harness.ModelChecking;

/// <summary>
/// What one step of a task accessed: each location once, read or written. Two steps of different tasks
/// are dependent (their order can change what either does) when they share a location and one of them
/// writes it; otherwise they commute, and the model checker explores only one of their orders.
/// </summary>
public sealed class Footprint
{
    private readonly List<Location> _locations = [];
    private readonly List<bool> _writes = [];

    /// <summary>The locations, in the order first accessed.</summary>
    public IReadOnlyList<Location> Locations => _locations;

    /// <summary>True when no location was accessed (the step commutes with every other).</summary>
    public bool IsEmpty => _locations.Count == 0;

    /// <summary>True when the step wrote <paramref name="location"/>; false when it only read it (or never touched it).</summary>
    public bool Writes(Location location)
    {
        int i = _locations.IndexOf(location);
        return i >= 0 && _writes[i];
    }

    /// <summary>True when <paramref name="kind"/> writes its location. A failed compare-exchange wrote nothing: a read.</summary>
    public static bool IsWrite(AccessKind kind) => kind is AccessKind.ReleaseStore or AccessKind.ReadModifyWrite or AccessKind.PlainWrite;

    /// <summary>Adds an access (a write wins over a read of the same location).</summary>
    public void Add(Location location, bool writes)
    {
        int i = _locations.IndexOf(location);
        if (i < 0)
        {
            _locations.Add(location);
            _writes.Add(writes);
        }
        else if (writes)
        {
            _writes[i] = true;
        }
    }

    /// <summary>True when this step and <paramref name="other"/> share a location that one of them writes.</summary>
    public bool ConflictsWith(Footprint other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int i = 0; i < _locations.Count; i++)
        {
            int j = other._locations.IndexOf(_locations[i]);
            if (j >= 0 && (_writes[i] || other._writes[j]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="other"/> has the same accesses (a replayed step must).</summary>
    public bool SameAs(Footprint other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._locations.Count != _locations.Count)
        {
            return false;
        }

        for (int i = 0; i < _locations.Count; i++)
        {
            int j = other._locations.IndexOf(_locations[i]);
            if (j < 0 || other._writes[j] != _writes[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A new footprint with the accesses of both.</summary>
    public Footprint Union(Footprint? other)
    {
        var union = new Footprint();
        union.AddAll(this);
        if (other is not null)
        {
            union.AddAll(other);
        }

        return union;
    }

    private void AddAll(Footprint other)
    {
        for (int i = 0; i < other._locations.Count; i++)
        {
            Add(other._locations[i], other._writes[i]);
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        IsEmpty ? "(nothing shared)" : string.Join(", ", _locations.Select((l, i) => (_writes[i] ? "w " : "r ") + l));
}
