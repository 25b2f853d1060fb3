// Compiled into src/Manager only with -p:ApiProbe=true, by tests/Unit/SampleTests: a public type
// that PublicAPI.*.txt does not declare, which the PublicApiAnalyzers must turn into a build error.
namespace ManagerVerified;

/// <summary>An undeclared public type (planted API change).</summary>
public static class UndeclaredApiProbe
{
}
