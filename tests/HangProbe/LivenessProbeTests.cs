namespace ManagerVerified.Tests.HangProbe;

/// <summary>
/// A liveness bug on purpose: a read guard that is never released, then a blocking <c>Free</c> of the
/// same message, which waits for that reader forever. Run only by tests/Unit/HangDetectionTests.
/// </summary>
public sealed class LivenessProbeTests
{
    [Fact]
    public void Probe_PassesQuickly()
    {
        var manager = new ConcurrentMemoryManager<int>(2);
        MessageToken token = manager.Store(new Message<int>(default, 7));
        manager.Free(token);
        Assert.Equal(2, manager.Available);
    }

    [Fact]
    public void Probe_FreeWaitsForALeakedReader()
    {
        var manager = new ConcurrentMemoryManager<int>(1);
        MessageToken token = manager.Store(new Message<int>(default, 7));
        if (Environment.GetEnvironmentVariable("MV_HANG_PROBE") == "1")
        {
            LeakReadGuard(manager, token);
        }

        manager.Free(token); // hangs when the guard leaked
        Assert.Equal(1, manager.Available);
    }

    private static void LeakReadGuard(ConcurrentMemoryManager<int> manager, MessageToken token)
    {
        ReadGuard<int> leaked = manager.Read(token);
        _ = leaked.Value; // never disposed
    }
}
