namespace ManagerVerified.Bench;

/// <summary>Bytes per slot beyond the message itself: ours, and the seed's shape (a ReaderWriterLockSlim per slot).</summary>
internal static class MemoryFootprint
{
    private const int Slots = 1 << 20;

    public static void Report(TextWriter output)
    {
        int message = System.Runtime.CompilerServices.Unsafe.SizeOf<Message<long>>();
        long ours = Measure(() => new ConcurrentMemoryManager<long>(Slots));
        long rwls = Measure(() =>
        {
            var messages = new Message<long>[Slots];
            var locks = new ReaderWriterLockSlim[Slots];
            for (int i = 0; i < Slots; i++)
            {
                locks[i] = new ReaderWriterLockSlim();
            }

            return (messages, locks);
        });
        double oursPerSlot = (double)ours / Slots - message;
        double rwlsPerSlot = (double)rwls / Slots - message;
        output.WriteLine($"message size: {message} B");
        output.WriteLine($"ours:             {ours / Slots,6} B/slot total, {oursPerSlot,6:F1} B/slot overhead");
        output.WriteLine($"RWLS per slot:    {rwls / Slots,6} B/slot total, {rwlsPerSlot,6:F1} B/slot overhead");
        output.WriteLine($"ratio (overhead): {rwlsPerSlot / oursPerSlot:F1}x");
    }

    private static long Measure(Func<object> build)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        object kept = build();
        long after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(kept);
        return after - before;
    }
}
