using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace ManagerVerified.Diagnostics;

/// <summary>
/// The <c>ManagerVerified</c> <see cref="Meter"/>: counters of stores, frees, refused stores, head CAS
/// retries and slot-lock waits, and observable gauges of the available and total slots of every named
/// manager. Listen with <c>dotnet-counters monitor --counters ManagerVerified</c>, OpenTelemetry or a
/// <see cref="MeterListener"/>.
/// </summary>
/// <remarks>
/// Every instrument is observable: the manager only adds to its own counts (behind the instrument's
/// <see cref="Instrument.Enabled"/> check, so nothing is counted while nobody listens), and a listener
/// reads the totals when it collects (<see cref="MeterListener.RecordObservableInstruments"/>). So no
/// listener callback ever runs inside a manager operation: a listener that throws, blocks or re-enters
/// cannot break an operation or lose a message. Store, free and refusal counts are summed per manager
/// name (the empty name for unnamed managers) and never go down; the gauges sum the live named
/// managers per name; retries and waits are process-wide.
/// </remarks>
public static class ManagerMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "ManagerVerified";

    /// <summary>The tag that carries a manager's name.</summary>
    public const string ManagerTag = "manager.name";

    private static readonly Meter s_meter = new(MeterName, typeof(ManagerMetrics).Assembly.GetName().Version?.ToString());
    private static readonly List<WeakReference<IMetricsSource>> s_sources = [];
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, NameCounts> s_counts = new(StringComparer.Ordinal);
    private static long s_headCasRetries;
    private static long s_slotWaits;

    internal static readonly ObservableCounter<long> Stores =
        s_meter.CreateObservableCounter("managerverified.stores", () => ObserveCounts(c => Volatile.Read(ref c.Stores)), "{message}", "Messages stored.");

    internal static readonly ObservableCounter<long> Frees =
        s_meter.CreateObservableCounter("managerverified.frees", () => ObserveCounts(c => Volatile.Read(ref c.Frees)), "{message}", "Messages freed.");

    internal static readonly ObservableCounter<long> NoFreeSlots =
        s_meter.CreateObservableCounter("managerverified.no_free_slots", () => ObserveCounts(c => Volatile.Read(ref c.NoFreeSlots)), "{store}", "Stores refused because no slot was free.");

    internal static readonly ObservableCounter<long> SlotsRetired =
        s_meter.CreateObservableCounter("managerverified.slots_retired", () => ObserveCounts(c => Volatile.Read(ref c.Retired)), "{slot}", "Slots retired at their last generation (counted whether or not anyone listens).");

    internal static readonly ObservableCounter<long> HeadCasRetries =
        s_meter.CreateObservableCounter("managerverified.head_cas_retries", () => Volatile.Read(ref s_headCasRetries), "{retry}", "Free-list head CAS failures that were retried.");

    internal static readonly ObservableCounter<long> SlotWaits =
        s_meter.CreateObservableCounter("managerverified.slot_lock_waits", () => Volatile.Read(ref s_slotWaits), "{wait}", "Blocking borrows or frees that had to wait for a slot.");

    static ManagerMetrics()
    {
        s_meter.CreateObservableGauge("managerverified.available", () => ObserveGauges(s => s.Available), "{slot}", "Free slots of the named managers, summed per name.");
        s_meter.CreateObservableGauge("managerverified.capacity", () => ObserveGauges(s => s.Capacity), "{slot}", "Slots of the named managers, summed per name.");
    }

    /// <summary>A named manager's live state, for the gauges.</summary>
    internal interface IMetricsSource
    {
        string Name { get; }

        int Available { get; }

        int Capacity { get; }
    }

    /// <summary>The store, free and refusal counts of every manager with one name (the empty name for
    /// unnamed managers). Shared by those managers and kept for the life of the process, so a counter
    /// never goes down when a manager is disposed or collected, and one tag set has one total.</summary>
    internal sealed class NameCounts
    {
        internal long Stores;
        internal long Frees;
        internal long NoFreeSlots;
        internal long Retired;
    }

    /// <summary>The counts of managers named <paramref name="name"/>.</summary>
    internal static NameCounts CountsFor(string name) => s_counts.GetOrAdd(name, static _ => new NameCounts());

    /// <summary>Adds one to <paramref name="count"/> when someone listens to <paramref name="instrument"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Count(Instrument instrument, ref long count)
    {
        if (instrument.Enabled)
        {
            Interlocked.Increment(ref count);
        }
    }

    /// <summary>A failed head CAS that will be retried (the production seam's slow path).</summary>
    internal static void HeadCasRetried() => Count(HeadCasRetries, ref s_headCasRetries);

    /// <summary>A blocking call that had to wait for a slot (the production seam's slow path).</summary>
    internal static void SlotWaited() => Count(SlotWaits, ref s_slotWaits);

    internal static void Register(IMetricsSource source)
    {
        lock (s_sources)
        {
            s_sources.RemoveAll(w => !w.TryGetTarget(out _));
            s_sources.Add(new WeakReference<IMetricsSource>(source));
        }
    }

    internal static void Unregister(IMetricsSource source)
    {
        lock (s_sources)
        {
            s_sources.RemoveAll(w => !w.TryGetTarget(out IMetricsSource? s) || ReferenceEquals(s, source));
        }
    }

    private static List<Measurement<long>> ObserveCounts(Func<NameCounts, long> read) =>
        s_counts.Select(pair => new Measurement<long>(read(pair.Value), new KeyValuePair<string, object?>(ManagerTag, pair.Key))).ToList();

    private static List<Measurement<int>> ObserveGauges(Func<IMetricsSource, int> read)
    {
        var totals = new Dictionary<string, int>(StringComparer.Ordinal);
        lock (s_sources)
        {
            foreach (WeakReference<IMetricsSource> weak in s_sources)
            {
                if (weak.TryGetTarget(out IMetricsSource? source))
                {
                    totals[source.Name] = totals.GetValueOrDefault(source.Name) + read(source);
                }
            }
        }

        return totals.Select(t => new Measurement<int>(t.Value, new KeyValuePair<string, object?>(ManagerTag, t.Key))).ToList();
    }
}
