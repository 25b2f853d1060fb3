using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ManagerVerified.Analyzers;

/// <summary>
/// MV0001: a guard (<c>ReadGuard&lt;T&gt;</c>, <c>WriteGuard&lt;T&gt;</c>, <c>HeaderGuard</c>) is copied. Each
/// copy can be released on its own, and a release that finds another borrow of the same generation
/// takes that borrow's place. Reported: assigning or initializing from an existing guard variable,
/// passing one by value, returning one, and <c>using (existingGuard)</c> (which disposes a hidden
/// copy and leaves the variable holding the borrow). Fresh guards (from Read, Write, PeekHeader,
/// or an out argument) are not copies.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GuardCopyAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The diagnostic's id.</summary>
    public const string Id = "MV0001";

    private static readonly DiagnosticDescriptor Rule = new(
        Id,
        "Do not copy a guard",
        "'{0}' copies the guard '{1}': each copy can release the borrow, and a second release can take another borrow's place; use the guard where it was acquired (by ref if it must be passed)",
        "Reliability",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "ReadGuard, WriteGuard and HeaderGuard own one borrow of a slot. Copying one makes two owners of one borrow.");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(CheckInitializer, OperationKind.VariableInitializer);
        context.RegisterOperationAction(c => Check(c, ((ISimpleAssignmentOperation)c.Operation).Value, "assignment", (ISimpleAssignmentOperation)c.Operation), OperationKind.SimpleAssignment);
        context.RegisterOperationAction(c => Check(c, ((IReturnOperation)c.Operation).ReturnedValue, "return"), OperationKind.Return);
        context.RegisterOperationAction(CheckArgument, OperationKind.Argument);
        context.RegisterOperationAction(c => Check(c, ((IUsingOperation)c.Operation).Resources, "using"), OperationKind.Using);
    }

    private static void CheckInitializer(OperationAnalysisContext context)
    {
        if (context.Operation.Parent is IVariableDeclaratorOperation { Symbol.IsRef: true })
        {
            return; // ref ReadGuard<T> alias = ref guard: an alias, not a copy
        }

        Check(context, ((IVariableInitializerOperation)context.Operation).Value, "initialization");
    }

    private static void CheckArgument(OperationAnalysisContext context)
    {
        var argument = (IArgumentOperation)context.Operation;
        if (argument.Parameter is { RefKind: RefKind.None })
        {
            Check(context, argument.Value, "passing by value");
        }
    }

    private static void Check(OperationAnalysisContext context, IOperation? value, string how, ISimpleAssignmentOperation? assignment = null)
    {
        if (assignment is { IsRef: true })
        {
            return; // a ref assignment aliases the guard, it does not copy it
        }

        while (value is IConversionOperation conversion)
        {
            value = conversion.Operand;
        }

        ISymbol? source = value switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFieldReferenceOperation field => field.Field,
            _ => null,
        };
        if (source is null || value is null || !IsGuard(value.Type))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(Rule, value.Syntax.GetLocation(), how, source.Name));
    }

    private static bool IsGuard(ITypeSymbol? type) =>
        type is INamedTypeSymbol { IsRefLikeType: true } named
        && named.Name is "ReadGuard" or "WriteGuard" or "HeaderGuard"
        && named.ContainingNamespace is { Name: "ManagerVerified", ContainingNamespace.IsGlobalNamespace: true };
}
