using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ManagerVerified.Analyzers;

/// <summary>
/// MV0100: shared state of the manager's core (a member marked <c>[SharedState]</c>: a slot word, epoch or sequence,
/// a free-list head, link or count) read or written other than through the concurrency seam. Every reference to
/// such a member must be an argument of a seam call (<c>_seam.Load(ref WordOf(i))</c>), or a <c>ref</c> local whose
/// every use is one; only the type's constructors and members marked <c>[SharedState]</c> (the accessors) or
/// <c>[Inspection]</c> (construction, tests, diagnostics: never an operation's step) touch it directly. An access
/// that bypasses the seam is one no checker sees (no scheduling point, no race detection), so the model checker's
/// "complete" would silently not cover it. Only the manager's own source carries the attributes; elsewhere the
/// rule finds nothing to check.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SeamBypassAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The diagnostic's id.</summary>
    public const string Id = "MV0100";

    private static readonly DiagnosticDescriptor InspectionRule = new(
        Id,
        "Shared state of the core touched outside the concurrency seam",
        "'{0}' is an [Inspection] member (it touches shared state directly): only inspection code may use it; an operation goes through the seam, or the caller is marked [Inspection] if no operation calls it",
        "Reliability",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor Rule = new(
        Id,
        "Shared state of the core touched outside the concurrency seam",
        "'{0}' is shared state: read and write it only through the seam ('_seam.Load(ref {0}...)', '_seam.Store', '_seam.CompareExchange', '_seam.Add'), or mark the member [Inspection] if no operation calls it",
        "Reliability",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        description: "The model checker and the race detector see only the seam's accesses: an access around it is unverified.");

    private const string SharedState = "SharedStateAttribute";
    private const string Inspection = "InspectionAttribute";

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule, InspectionRule);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(c => Check(c, ((IFieldReferenceOperation)c.Operation).Field), OperationKind.FieldReference);
        context.RegisterOperationAction(c => Check(c, ((IInvocationOperation)c.Operation).TargetMethod), OperationKind.Invocation);
        context.RegisterOperationAction(c => Check(c, ((IPropertyReferenceOperation)c.Operation).Property), OperationKind.PropertyReference);
        context.RegisterOperationAction(CheckRefLocal, OperationKind.LocalReference);
    }

    private static void Check(OperationAnalysisContext context, ISymbol symbol)
    {
        if (IsCoreState(context, symbol) && !Allowed(context, context.Operation, symbol))
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, context.Operation.Syntax.GetLocation(), symbol.Name));
        }
        else if (IsInspection(context, symbol) && InCore(context) && !InInspection(context))
        {
            // An [Inspection] member touches shared state directly: the core's operations may not use it (the public
            // wrapper's diagnostics, after an operation, may).
            context.ReportDiagnostic(Diagnostic.Create(InspectionRule, context.Operation.Syntax.GetLocation(), symbol.Name));
        }
    }

    private static bool IsInspection(OperationAnalysisContext context, ISymbol symbol) =>
        HasAttribute(symbol.OriginalDefinition, Inspection)
        && SymbolEqualityComparer.Default.Equals(symbol.ContainingAssembly, context.Compilation.Assembly);

    /// <summary>Whether the code being analysed is the core's (namespace ManagerVerified.Core), where the operations are.</summary>
    private static bool InCore(OperationAnalysisContext context) =>
        context.ContainingSymbol.ContainingType?.ContainingNamespace is { Name: "Core", ContainingNamespace: { Name: "ManagerVerified", ContainingNamespace.IsGlobalNamespace: true } };

    /// <summary>Whether the code being analysed is itself inspection code (or a constructor).</summary>
    private static bool InInspection(OperationAnalysisContext context)
    {
        ISymbol? member = context.ContainingSymbol;
        while (member is IMethodSymbol { MethodKind: MethodKind.LocalFunction or MethodKind.AnonymousFunction } inner)
        {
            member = inner.ContainingSymbol;
        }

        ISymbol? declared = member is IMethodSymbol { AssociatedSymbol: { } property } ? property : member;
        return member is IMethodSymbol { MethodKind: MethodKind.Constructor }
            || (declared is not null && HasAttribute(declared, Inspection));
    }

    /// <summary>A use of a ref local that aliases shared state (<c>ref long slot = ref WordOf(i)</c>) is held to the
    /// same rule as the shared state itself.</summary>
    private static void CheckRefLocal(OperationAnalysisContext context)
    {
        ILocalSymbol local = ((ILocalReferenceOperation)context.Operation).Local;
        if (!local.IsRef || context.Operation.Parent is IVariableDeclaratorOperation)
        {
            return;
        }

        if (AliasedState(context, local, depth: 0) is { } aliased && IsCoreState(context, aliased) && !Allowed(context, context.Operation, aliased))
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, context.Operation.Syntax.GetLocation(), local.Name));
        }
    }

    /// <summary>The shared state a ref local aliases: the member its initializer names, through any chain of ref locals.</summary>
    private static ISymbol? AliasedState(OperationAnalysisContext context, ILocalSymbol local, int depth)
    {
        if (depth > 8)
        {
            return null;
        }

        foreach (SyntaxReference reference in local.DeclaringSyntaxReferences)
        {
            SemanticModel? model = context.Operation.SemanticModel;
            if (model?.SyntaxTree != reference.SyntaxTree || model.GetOperation(reference.GetSyntax(context.CancellationToken), context.CancellationToken) is not IVariableDeclaratorOperation declarator
                || declarator.Initializer?.Value is not { } initial)
            {
                continue;
            }

            ISymbol? aliased = initial switch
            {
                IFieldReferenceOperation field => field.Field,
                IInvocationOperation invocation => invocation.TargetMethod,
                IPropertyReferenceOperation property => property.Property,
                ILocalReferenceOperation { Local: { IsRef: true } other } => AliasedState(context, other, depth + 1),
                _ => null,
            };
            if (aliased is not null && HasAttribute(aliased.OriginalDefinition, SharedState))
            {
                return aliased;
            }
        }

        return null;
    }

    private static bool Allowed(OperationAnalysisContext context, IOperation use, ISymbol symbol)
    {
        // Inside the accessors, the type's constructors and the inspection members.
        ISymbol? member = context.ContainingSymbol;
        while (member is IMethodSymbol { MethodKind: MethodKind.LocalFunction or MethodKind.AnonymousFunction } inner)
        {
            member = inner.ContainingSymbol;
        }

        if (member is IMethodSymbol { MethodKind: MethodKind.Constructor })
        {
            return true; // construction: nothing is shared before the constructor returns
        }

        ISymbol? declared = member is IMethodSymbol { AssociatedSymbol: { } property } ? property : member;
        if (declared is not null && (HasAttribute(declared, SharedState) || HasAttribute(declared, Inspection)))
        {
            return true;
        }

        // The field of a struct the shared state lives in: 'ref shard.Head' is checked as Head, not as shard.
        IOperation node = use;
        while (node.Parent is IFieldReferenceOperation outer && outer.Instance == node)
        {
            node = outer;
        }

        return node.Parent switch
        {
            IArgumentOperation { Parent: IInvocationOperation call } => IsSeam(call.TargetMethod.ContainingType) || ComparesAddressesOnly(call.TargetMethod),
            IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Symbol.IsRef: true } } => true, // its uses are checked
            _ => false,
        };
    }

    private static bool IsSeam(INamedTypeSymbol? type) =>
        type is { Name: "IAtomics" or "IWaiting" or "IObservation" or "IConcurrencySeam" }
        && type.ContainingNamespace is { Name: "Seam", ContainingNamespace: { Name: "ManagerVerified", ContainingNamespace.IsGlobalNamespace: true } };

    /// <summary>Shared state declared in the assembly being compiled: the rule is the core's own discipline (tests and
    /// the harness, which see it through InternalsVisibleTo, inspect it between operations).</summary>
    private static bool IsCoreState(OperationAnalysisContext context, ISymbol symbol) =>
        HasAttribute(symbol.OriginalDefinition, SharedState)
        && SymbolEqualityComparer.Default.Equals(symbol.ContainingAssembly, context.Compilation.Assembly);

    /// <summary>Unsafe.AreSame and ByteOffset compare where two references point: no access of what is there.</summary>
    private static bool ComparesAddressesOnly(IMethodSymbol method) =>
        method is { Name: "AreSame" or "ByteOffset" or "IsAddressLessThan" or "IsAddressGreaterThan", ContainingType.Name: "Unsafe" };

    private static bool HasAttribute(ISymbol symbol, string name) =>
        symbol.GetAttributes().Any(a => a.AttributeClass?.Name == name);
}
