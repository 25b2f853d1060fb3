using System.Diagnostics.Metrics;

namespace ManagerVerified.Diagnostics;

/// <summary>
/// The <c>ManagerVerified</c> <see cref="Meter"/>: counters of stores, frees, refused stores, head CAS
/// retries and slot-lock waits, and observable gauges of the available and total slots of every named
/// manager. Listen with <c>dotnet-counters monitor --counters ManagerVerified</c>, OpenTelemetry or a
/// <see cref="MeterListener"/>.
/// </summary>
/// <remarks>Nothing is measured while nobody listens: every update is behind the instrument's
/// <see cref="Instrument.Enabled"/> check, and retries and waits are only counted on their slow paths.</remarks>
public static class ManagerMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "ManagerVerified";

    /// <summary>The tag that carries a manager's name.</summary>
    public const string ManagerTag = "manager.name";

    private static readonly Meter s_meter = new(MeterName, typeof(ManagerMetrics).Assembly.GetName().Version?.ToString());
    private static readonly List<WeakReference<IMetricsSource>> s_sources = [];

    internal static readonly Counter<long> Stores = s_meter.CreateCounter<long>("managerverified.stores", "{message}", "Messages stored.");
    internal static readonly Counter<long> Frees = s_meter.CreateCounter<long>("managerverified.frees", "{message}", "Messages freed.");
    internal static readonly Counter<long> NoFreeSlots = s_meter.CreateCounter<long>("managerverified.no_free_slots", "{store}", "Stores refused because no slot was free.");
    internal static readonly Counter<long> HeadCasRetries = s_meter.CreateCounter<long>("managerverified.head_cas_retries", "{retry}", "Free-list head CAS failures that were retried.");
    internal static readonly Counter<long> SlotWaits = s_meter.CreateCounter<long>("managerverified.slot_lock_waits", "{wait}", "Blocking borrows or frees that had to wait for a slot.");

    static ManagerMetrics()
    {
        s_meter.CreateObservableGauge("managerverified.available", () => Observe(s => s.Available), "{slot}", "Free slots of each named manager.");
        s_meter.CreateObservableGauge("managerverified.capacity", () => Observe(s => s.Capacity), "{slot}", "Slots of each named manager.");
    }

    internal interface IMetricsSource
    {
        string Name { get; }

        int Available { get; }

        int Capacity { get; }
    }

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

    private static List<Measurement<int>> Observe(Func<IMetricsSource, int> read)
    {
        var measurements = new List<Measurement<int>>();
        lock (s_sources)
        {
            foreach (WeakReference<IMetricsSource> weak in s_sources)
            {
                if (weak.TryGetTarget(out IMetricsSource? source))
                {
                    measurements.Add(new Measurement<int>(read(source), new KeyValuePair<string, object?>(ManagerTag, source.Name)));
                }
            }
        }

        return measurements;
    }
}
