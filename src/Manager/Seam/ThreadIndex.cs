// =================================================================================================
// ThreadIndex: a small number per live thread, the production seam's shard hint (sharded-slab's thread
// registry). A thread takes the lowest index no live thread holds on its first call and keeps it while it
// lives; when it ends, its lease (reachable only from its thread-static) is finalized and the index is
// free again. So at most N live threads that store get N different indices, and different shards (modulo N)
// by construction, not by where the scheduler happens to run them.
// Not a lock-free file: taking and returning an index (once per thread) is under one lock; the hot path is
// one thread-static read. Why not the processor number: docs/performance.md (issue 13).
// =================================================================================================
using System.Runtime.CompilerServices;

namespace ManagerVerified.Seam;

/// <summary>A small number per live thread: the lowest free one when the thread first asks, given back
/// (by a finalizer) after the thread ends.</summary>
internal static class ThreadIndex
{
    [ThreadStatic]
    private static int t_indexPlusOne; // 0: no index yet

    [ThreadStatic]
    private static Lease? t_lease; // keeps the index while the thread lives

    /// <summary>The registry every thread takes its index from.</summary>
    internal static readonly IndexRegistry Shared = new();

    /// <summary>The calling thread's index (taken on its first call).</summary>
    internal static int Current
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            int plusOne = t_indexPlusOne;
            return plusOne != 0 ? plusOne - 1 : Acquire();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Acquire()
    {
        int index = Shared.Take();
        t_lease = new Lease(index);
        t_indexPlusOne = index + 1;
        return index;
    }

    /// <summary>Gives the index back when the thread that held it is gone (its thread-statics with it).</summary>
    private sealed class Lease(int index)
    {
        ~Lease() => Shared.Return(index);
    }
}

/// <summary>The indices in use: <see cref="Take"/> hands out the lowest free one, <see cref="Return"/> frees it.</summary>
internal sealed class IndexRegistry
{
    private readonly object _gate = new();
    private readonly SortedSet<int> _returned = [];
    private int _next; // every index below it was handed out at least once

    /// <summary>The lowest index not held.</summary>
    internal int Take()
    {
        lock (_gate)
        {
            if (_returned.Count > 0)
            {
                int lowest = _returned.Min;
                _returned.Remove(lowest);
                return lowest;
            }

            return _next++;
        }
    }

    /// <summary>Frees <paramref name="index"/> (held until now).</summary>
    internal void Return(int index)
    {
        lock (_gate)
        {
            _returned.Add(index);
        }
    }

    /// <summary>Whether <paramref name="index"/> is free (tests).</summary>
    internal bool IsFree(int index)
    {
        lock (_gate)
        {
            return index >= _next || _returned.Contains(index);
        }
    }
}
