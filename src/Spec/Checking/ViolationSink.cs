using System.Collections.Concurrent;

namespace ManagerVerified.Spec.Checking;

/// <summary>Where monitors report a violated property.</summary>
public abstract class ViolationSink
{
    /// <summary>Reports a violation. Under Coyote this ends the iteration as a bug.</summary>
    public abstract void Report(Violation violation);

    /// <summary>Reports a violation of <paramref name="property"/>.</summary>
    public void Report(SpecProperty property, string details) => Report(new Violation(property, details));
}

/// <summary>
/// A sink for real-thread runs: records every violation and lets the run go on (throwing from inside
/// the manager's critical sections would leave locks held), so the test asserts on <see cref="Violations"/> at the end.
/// </summary>
public sealed class RecordingViolationSink : ViolationSink
{
    private readonly ConcurrentQueue<Violation> _violations = new();

    /// <summary>Every violation reported so far, in order of arrival.</summary>
    public IReadOnlyCollection<Violation> Violations => _violations;

    /// <inheritdoc />
    public override void Report(Violation violation) => _violations.Enqueue(violation);
}
