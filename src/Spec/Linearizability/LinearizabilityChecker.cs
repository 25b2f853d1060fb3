using ManagerVerified.Spec.Model;

namespace ManagerVerified.Spec.Linearizability;

/// <summary>
/// Decides whether a concurrent history is linearizable with respect to <see cref="SpecState"/>:
/// whether its steps can be put in one sequential order that respects real time (a step that returned
/// before another was called comes first) and in which every completed step returns what it returned.
/// </summary>
/// <remarks>
/// Wing &amp; Gong's search with Lowe's memoization: depth-first over "which minimal step takes effect
/// next", where a step is minimal when it was called before every not-yet-placed completed step
/// returned; each (placed set, specification state) pair is explored at most once, so the search is
/// exponential only in the width of real concurrency, not in the length of the history. Pending steps
/// (not returned) may take effect, with any result, or not at all.
/// </remarks>
public static class LinearizabilityChecker
{
    /// <summary>The result of a check.</summary>
    /// <param name="Linearizable">True when some sequential order explains the history.</param>
    /// <param name="StatesExplored">Search nodes visited.</param>
    public readonly record struct Verdict(bool Linearizable, long StatesExplored);

    /// <summary>Checks <paramref name="history"/> against a manager that starts as <paramref name="initial"/>.</summary>
    public static Verdict Check(History history, SpecState initial)
    {
        ArgumentNullException.ThrowIfNull(history);
        Step[] steps = [.. history.Steps];
        int n = steps.Length;
        var placed = new ulong[(n + 63) / 64];
        var seen = new HashSet<(string, SpecState)>();
        long explored = 0;
        int completed = steps.Count(s => s.Completed);

        bool Search(SpecState state, int placedCompleted)
        {
            if (placedCompleted == completed)
            {
                return true;
            }

            explored++;
            if (!seen.Add((Key(placed), state)))
            {
                return false;
            }

            long horizon = long.MaxValue;
            for (int i = 0; i < n; i++)
            {
                if (!IsPlaced(placed, i) && steps[i].Completed && steps[i].Response < horizon)
                {
                    horizon = steps[i].Response;
                }
            }

            for (int i = 0; i < n; i++)
            {
                if (IsPlaced(placed, i) || steps[i].Invoke > horizon)
                {
                    continue;
                }

                SpecState? next = state.TryApply(steps[i], steps[i].Completed);
                if (next is null)
                {
                    continue;
                }

                Set(placed, i, true);
                bool ok = Search(next, placedCompleted + (steps[i].Completed ? 1 : 0));
                Set(placed, i, false);
                if (ok)
                {
                    return true;
                }
            }

            return false;
        }

        bool result = Search(initial, 0);
        return new Verdict(result, explored);
    }

    /// <summary>The shortest prefix (cut at a return) that is already not linearizable, or null when the whole history is.</summary>
    public static History? MinimalViolation(History history, SpecState initial)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (Check(history, initial).Linearizable)
        {
            return null;
        }

        foreach (long time in history.Steps.Where(s => s.Completed).Select(s => s.Response).Order())
        {
            History prefix = history.Prefix(time + 1);
            if (!Check(prefix, initial).Linearizable)
            {
                return prefix;
            }
        }

        return history;
    }

    private static bool IsPlaced(ulong[] bits, int i) => (bits[i >> 6] & (1UL << (i & 63))) != 0;

    private static void Set(ulong[] bits, int i, bool value)
    {
        if (value)
        {
            bits[i >> 6] |= 1UL << (i & 63);
        }
        else
        {
            bits[i >> 6] &= ~(1UL << (i & 63));
        }
    }

    private static string Key(ulong[] bits) => string.Join(',', bits);
}
