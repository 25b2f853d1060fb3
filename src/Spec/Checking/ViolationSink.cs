using System.Collections.Concurrent;
using Microsoft.Coyote.Specifications;

namespace ManagerVerified.Spec.Checking;

/// <summary>Where monitors report a violated property.</summary>
public abstract class ViolationSink
{
    /// <summary>Reports a violation. Under Coyote this ends the iteration as a bug.</summary>
    /// <param name="message">Names the property and the offending values.</param>
    public abstract void Report(string message);

    /// <summary>A sink for Coyote runs: <c>Specification.Assert</c>.</summary>
    public static ViolationSink Coyote { get; } = new CoyoteSink();

    private sealed class CoyoteSink : ViolationSink
    {
        public override void Report(string message) => Specification.Assert(false, message);
    }
}

/// <summary>
/// A sink for real-thread runs: records every violation and lets the run go on (throwing from inside
/// the manager's critical sections would leave locks held), so the test asserts on <see cref="Violations"/> at the end.
/// </summary>
public sealed class RecordingViolationSink : ViolationSink
{
    private readonly ConcurrentQueue<string> _violations = new();

    /// <summary>Every violation reported so far, in order of arrival.</summary>
    public IReadOnlyCollection<string> Violations => _violations;

    /// <inheritdoc />
    public override void Report(string message) => _violations.Enqueue(message);
}
