using ManagerVerified.Spec.Races;

namespace ManagerVerified.Harness.Checking;

/// <summary>
/// A value a scenario's tasks share (a token or a guard's hold handed from one task to another), which reports
/// every access to the model checker itself: a read is an acquire load of the cell, a write a release store, so no
/// two accesses of it are ever taken to commute. Values are boxed: one reference, read and written whole on real
/// threads too.
/// </summary>
/// <typeparam name="T">The value.</typeparam>
public sealed class SharedCell<T>
    where T : struct
{
    private readonly VerificationContext _context;
    private readonly int _variable;
    private object? _box;

    internal SharedCell(VerificationContext context, int variable)
    {
        _context = context;
        _variable = variable;
    }

    /// <summary>The value last written, or null when none was.</summary>
    public T? Read()
    {
        _context.SharedAccess(AccessKind.AcquireLoad, _variable);
        return Volatile.Read(ref _box) is T value ? value : null;
    }

    /// <summary>Replaces the value.</summary>
    public void Write(T value)
    {
        _context.SharedAccess(AccessKind.ReleaseStore, _variable);
        Volatile.Write(ref _box, value);
    }
}
