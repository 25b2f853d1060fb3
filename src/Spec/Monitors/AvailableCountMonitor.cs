using ManagerVerified.Spec.Checking;
using ManagerVerified.Core;
using ManagerVerified.Verification;

namespace ManagerVerified.Spec.Monitors;

/// <summary>
/// Available-count consistency: the available count is always within [0, Capacity], and when no
/// operation is in flight it equals the free-list length and Capacity minus the live (and retired) slots.
/// </summary>
public sealed class AvailableCountMonitor : ManagerMonitor
{
    /// <inheritdoc />
    public AvailableCountMonitor(Checking.ViolationSink sink, int capacity)
        : base(sink, capacity)
    {
    }

    /// <inheritdoc />
    public override SpecProperty Property => SpecProperty.AvailableCount;

    /// <inheritdoc />
    public override void OnAvailableChanged(int shard, int value)
    {
        // Each shard's count on its own (the value of an atomic add: true at its instant, with real threads
        // too); and, when the hooks run in the step of their add (systematic exploration), the shards' sum at
        // this step: the count at one instant, which the public Available can only estimate.
        int most = _homeSlots is { } home && shard < home.Length ? home[shard] : Capacity;
        if (value < 0 || value > most)
        {
            Fail($"free-list shard {shard}'s available count became {value}, outside [0, {most}] (its home slots)");
            return;
        }

        if (_shardCounts is null)
        {
            return;
        }

        _shardCounts[shard] = value;
        int sum = 0;
        foreach (int count in _shardCounts)
        {
            sum += count;
        }

        if (sum > Capacity)
        {
            Fail($"the available count (the shards' counts summed) became {sum}, above the capacity {Capacity}");
        }
    }

    private int[]? _shardCounts; // the built manager's counts, when the hooks are serialized (OnCreated)

    private int[]? _homeSlots; // each shard's count as built: all of its home slots, the most it can hold

    /// <inheritdoc />
    internal override void OnCreated(QuiescentSnapshot snapshot, bool serialized)
    {
        _homeSlots = (int[])snapshot.ShardAvailable.Clone();
        _shardCounts = serialized ? (int[])snapshot.ShardAvailable.Clone() : null;
    }

    /// <inheritdoc />
    internal override void CheckQuiescent(QuiescentSnapshot snapshot)
    {
        int expectedFromSlots = snapshot.Capacity - snapshot.LiveCount - snapshot.RetiredCount;
        if (snapshot.Available != expectedFromSlots)
        {
            Fail($"at quiescence the available count is {snapshot.Available}, but Capacity {snapshot.Capacity} - live {snapshot.LiveCount} - retired {snapshot.RetiredCount} = {expectedFromSlots}");
            return;
        }

        if (snapshot.FreeListTooLong)
        {
            return; // the ABA monitor reports the corrupted list
        }

        for (int s = 0; s < snapshot.ShardLists.Length; s++)
        {
            if (snapshot.ShardAvailable[s] != snapshot.ShardLists[s].Length)
            {
                Fail($"at quiescence free-list shard {s}'s available count is {snapshot.ShardAvailable[s]}, but it holds {snapshot.ShardLists[s].Length} slots");
                return;
            }
        }
    }
}
