using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ManagerVerified.Analyzers;

/// <summary>
/// MV0001: a guard (<c>ReadGuard&lt;T&gt;</c>, <c>WriteGuard&lt;T&gt;</c>, <c>HeaderGuard</c>, or a ref struct that
/// holds one) is copied. Each copy can be released on its own. A copy is made wherever an existing guard's value
/// flows into a new place: an initialization, an assignment, a by-value argument, a return, <c>using (existing)</c>,
/// a <c>with</c> expression, a tuple or collection element, a pattern that declares a variable, through a
/// conditional or switch expression, out of a ref-returning call (<c>Unsafe.AsRef(in g)</c>) or a generic call that
/// returns its argument's type, and the hidden copy C# makes to call <c>Dispose</c> on a readonly guard
/// (an <c>in</c> parameter, a readonly field, a <c>using</c> variable). Fresh guards (the result of Read, Write,
/// PeekHeader, or an out argument) are not copies; a <c>ref</c> local or argument is an alias, not a copy.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GuardCopyAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The diagnostic's id.</summary>
    public const string Id = "MV0001";

    private static readonly DiagnosticDescriptor Rule = new(
        Id,
        "Do not copy a guard",
        "'{0}' copies the guard '{1}': each copy can release the borrow. Use the guard where it was acquired: 'using var g = m.Read(t);', or 'if (m.TryRead(t, out var g, out _)) {{ try {{ ... }} finally {{ g.Dispose(); }} }}'; pass it on by 'ref', never by value.",
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
        context.RegisterOperationAction(CheckAssignment, OperationKind.SimpleAssignment);
        context.RegisterOperationAction(CheckReturn, OperationKind.Return);
        context.RegisterOperationAction(CheckArgument, OperationKind.Argument);
        context.RegisterOperationAction(c => Check(c, ((IUsingOperation)c.Operation).Resources, "using"), OperationKind.Using);
        context.RegisterOperationAction(c => Check(c, ((IWithOperation)c.Operation).Operand, "with"), OperationKind.With);
        context.RegisterOperationAction(CheckTuple, OperationKind.Tuple);
        context.RegisterOperationAction(CheckCollection, OperationKind.CollectionExpression);
        context.RegisterOperationAction(CheckPattern, OperationKind.DeclarationPattern, OperationKind.RecursivePattern);
        context.RegisterOperationAction(CheckInvocation, OperationKind.Invocation);
        context.RegisterOperationAction(CheckOperator, OperationKind.Binary, OperationKind.Unary, OperationKind.Conversion);
    }

    /// <summary>A user-defined operator or conversion takes its operands by value (unless declared <c>in</c>).</summary>
    private static void CheckOperator(OperationAnalysisContext context)
    {
        (IMethodSymbol? method, IOperation?[] operands) = context.Operation switch
        {
            IBinaryOperation binary => (binary.OperatorMethod, new[] { binary.LeftOperand, binary.RightOperand }),
            IUnaryOperation unary => (unary.OperatorMethod, new[] { unary.Operand }),
            IConversionOperation conversion => (conversion.OperatorMethod, new[] { conversion.Operand }),
            _ => (null, []),
        };
        if (method is null)
        {
            return;
        }

        for (int i = 0; i < operands.Length && i < method.Parameters.Length; i++)
        {
            if (method.Parameters[i].RefKind == RefKind.None)
            {
                Check(context, operands[i], $"an operand of {method.Name}");
            }
        }
    }

    private static void CheckInitializer(OperationAnalysisContext context)
    {
        if (context.Operation.Parent is IVariableDeclaratorOperation { Symbol.IsRef: true })
        {
            return; // ref ReadGuard<T> alias = ref guard: an alias, not a copy
        }

        Check(context, ((IVariableInitializerOperation)context.Operation).Value, "initialization");
    }

    private static void CheckAssignment(OperationAnalysisContext context)
    {
        var assignment = (ISimpleAssignmentOperation)context.Operation;
        if (!assignment.IsRef)
        {
            Check(context, assignment.Value, "assignment"); // a ref assignment aliases the guard, it does not copy it
        }
    }

    private static void CheckReturn(OperationAnalysisContext context)
    {
        var ret = (IReturnOperation)context.Operation;
        if (ret.ReturnedValue is not null && !ReturnsByRef(ret))
        {
            Check(context, ret.ReturnedValue, "return");
        }
    }

    private static bool ReturnsByRef(IReturnOperation ret) =>
        ret.SemanticModel?.GetEnclosingSymbol(ret.Syntax.SpanStart) is IMethodSymbol method && (method.ReturnsByRef || method.ReturnsByRefReadonly);

    private static void CheckArgument(OperationAnalysisContext context)
    {
        var argument = (IArgumentOperation)context.Operation;
        if (argument.Parameter is { RefKind: RefKind.None })
        {
            Check(context, argument.Value, "passing by value");
        }
    }

    private static void CheckTuple(OperationAnalysisContext context)
    {
        if (IsDeconstructionTarget(context.Operation))
        {
            return; // var (a, b) = ...: the variables a deconstruction assigns, not values read
        }

        foreach (IOperation element in ((ITupleOperation)context.Operation).Elements)
        {
            Check(context, element, "a tuple element");
        }
    }

    private static bool IsDeconstructionTarget(IOperation tuple)
    {
        IOperation node = tuple;
        while (node.Parent is ITupleOperation or IDeclarationExpressionOperation)
        {
            node = node.Parent;
        }

        return node.Parent switch
        {
            IDeconstructionAssignmentOperation assignment => assignment.Target == node,
            IForEachLoopOperation loop => loop.LoopControlVariable == node,
            _ => false,
        };
    }

    private static void CheckCollection(OperationAnalysisContext context)
    {
        foreach (IOperation element in ((ICollectionExpressionOperation)context.Operation).Elements)
        {
            Check(context, element is ISpreadOperation spread ? spread.Operand : element, "a collection element");
        }
    }

    private static void CheckPattern(OperationAnalysisContext context)
    {
        ISymbol? declared = context.Operation switch
        {
            IDeclarationPatternOperation declaration => declaration.DeclaredSymbol,
            IRecursivePatternOperation recursive => recursive.DeclaredSymbol,
            _ => null,
        };
        if (declared is ILocalSymbol local && IsGuard(local.Type))
        {
            // 'g is var copy', 'case ReadGuard<T> copy:': the pattern's variable is a copy of the matched guard.
            context.ReportDiagnostic(Diagnostic.Create(Rule, context.Operation.Syntax.GetLocation(), "a pattern variable", local.Name));
        }
    }

    private static void CheckInvocation(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        IMethodSymbol method = invocation.TargetMethod;

        // A method that is not readonly, called on a readonly guard (an in parameter, a ref readonly local, a
        // readonly field, a using or foreach variable): C# calls it on a hidden copy (Dispose releases through it).
        if (!method.IsReadOnly && !method.IsStatic && invocation.Instance is { } instance && IsGuard(instance.Type) && IsReadOnlyLocation(instance))
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, instance.Syntax.GetLocation(), $"calling {method.Name} on a readonly guard (a hidden copy)", SourceName(instance) ?? instance.Syntax.ToString()));
        }

        // A generic call whose signature hands a type argument back (T Id<T>(ref T x), Box<T> Wrap<T>(ref T x),
        // void Dup<T>(ref T x, out T y), a Box<T>'s T Get()) gives back a guard it was given by reference or holds as
        // its instance: its body cannot be checked (there it is a T), so the call is the copy. (A guard given by value
        // is reported as passing by value.)
        if (HandsBackATypeArgument(invocation) && GuardGiven(invocation) is string given)
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), $"the generic call {method.Name}", given));
        }
    }

    /// <summary>Whether the call's result, or an out argument, is declared with a type parameter the call binds to a
    /// guard (or a guard holder): <c>T</c>, <c>Box&lt;T&gt;</c> with T a guard (not <c>ReadGuard&lt;TPayload&gt;</c> with
    /// TPayload a payload).</summary>
    private static bool HandsBackATypeArgument(IInvocationOperation invocation)
    {
        IMethodSymbol method = invocation.TargetMethod;
        var guardParameters = new HashSet<ITypeParameterSymbol>(SymbolEqualityComparer.Default);
        AddGuardArguments(method.OriginalDefinition.TypeParameters, method.TypeArguments, guardParameters);
        for (INamedTypeSymbol? type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            AddGuardArguments(type.OriginalDefinition.TypeParameters, type.TypeArguments, guardParameters);
        }

        if (guardParameters.Count == 0)
        {
            return false;
        }

        IMethodSymbol original = method.OriginalDefinition;
        if (!method.ReturnsByRef && !method.ReturnsByRefReadonly && Mentions(original.ReturnType, guardParameters))
        {
            return true;
        }

        return invocation.Arguments.Any(a => a.Parameter is { RefKind: RefKind.Out or RefKind.Ref } parameter
            && Mentions(original.Parameters[parameter.Ordinal].Type, guardParameters));
    }

    private static void AddGuardArguments(ImmutableArray<ITypeParameterSymbol> parameters, ImmutableArray<ITypeSymbol> arguments, HashSet<ITypeParameterSymbol> guards)
    {
        for (int i = 0; i < parameters.Length && i < arguments.Length; i++)
        {
            if (IsGuard(arguments[i]))
            {
                guards.Add(parameters[i]);
            }
        }
    }

    /// <summary>The existing guard the call is given: a guard location passed by reference, or a guard-holding instance.</summary>
    private static string? GuardGiven(IInvocationOperation invocation)
    {
        if (invocation.Instance is { } instance && IsGuard(instance.Type) && SourceName(Unwrap(instance)) is string holder)
        {
            return holder;
        }

        return invocation.Arguments
            .Where(a => a.Parameter is { RefKind: RefKind.Ref or RefKind.In or RefKind.RefReadOnlyParameter } && IsGuard(a.Value.Type))
            .Select(a => SourceName(Unwrap(a.Value)))
            .FirstOrDefault(name => name is not null);
    }

    private static bool Mentions(ITypeSymbol type, HashSet<ITypeParameterSymbol> parameters) => type switch
    {
        ITypeParameterSymbol parameter => parameters.Contains(parameter),
        INamedTypeSymbol named => named.TypeArguments.Any(t => Mentions(t, parameters)),
        _ => false,
    };

    private static void Check(OperationAnalysisContext context, IOperation? value, string how)
    {
        if (value is null)
        {
            return;
        }

        value = Unwrap(value);
        switch (value)
        {
            case IConditionalOperation conditional:
                // b ? g : default copies g whichever way it goes (a ref conditional read by value too).
                Check(context, conditional.WhenTrue, how);
                Check(context, conditional.WhenFalse, how);
                return;
            case ISwitchExpressionOperation switchExpression:
                foreach (ISwitchExpressionArmOperation arm in switchExpression.Arms)
                {
                    Check(context, arm.Value, how);
                }

                return;
        }

        if (IsGuard(value.Type) && SourceName(value) is string source)
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, value.Syntax.GetLocation(), how, source));
        }
    }

    private static IOperation Unwrap(IOperation value)
    {
        while (value is IConversionOperation { OperatorMethod: null } conversion)
        {
            value = conversion.Operand;
        }

        return value;
    }

    /// <summary>The name of the existing place <paramref name="value"/> reads a guard from, or null for a fresh one.</summary>
    private static string? SourceName(IOperation value) => value switch
    {
        ILocalReferenceOperation local => local.Local.Name,
        IParameterReferenceOperation parameter => parameter.Parameter.Name,
        IFieldReferenceOperation field => field.Field.Name,
        IInstanceReferenceOperation => "this",
        IPropertyReferenceOperation { Property: var p } when IsAutoProperty(p) => p.Name,
        IPropertyReferenceOperation { Property.ReturnsByRef: true } or IPropertyReferenceOperation { Property.ReturnsByRefReadonly: true } => ((IPropertyReferenceOperation)value).Property.Name,
        IInvocationOperation { TargetMethod.ReturnsByRef: true } or IInvocationOperation { TargetMethod.ReturnsByRefReadonly: true } => ((IInvocationOperation)value).TargetMethod.Name + "(...)",
        IArrayElementReferenceOperation or IInlineArrayAccessOperation => value.Syntax.ToString(),
        _ => null,
    };

    /// <summary>A property with a backing field the compiler made: reading it copies the field.</summary>
    private static bool IsAutoProperty(IPropertySymbol property) =>
        property.ContainingType.GetMembers().OfType<IFieldSymbol>().Any(f => SymbolEqualityComparer.Default.Equals(f.AssociatedSymbol, property));

    private static bool IsReadOnlyLocation(IOperation instance) => Unwrap(instance) switch
    {
        IParameterReferenceOperation parameter => parameter.Parameter.RefKind is RefKind.In or RefKind.RefReadOnlyParameter,
        ILocalReferenceOperation local => local.Local.RefKind == RefKind.RefReadOnly || local.Local.IsUsing || local.Local.IsForEach,
        IFieldReferenceOperation field => field.Field.IsReadOnly,
        IInvocationOperation invocation => invocation.TargetMethod.ReturnsByRefReadonly,
        IPropertyReferenceOperation property => property.Property.ReturnsByRefReadonly,
        _ => false,
    };

    /// <summary>A guard type, or a ref struct that holds one in a field (copying it copies the guard).</summary>
    private static bool IsGuard(ITypeSymbol? type) => IsGuard(type, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default));

    private static bool IsGuard(ITypeSymbol? type, HashSet<ITypeSymbol> seen)
    {
        if (type is not INamedTypeSymbol { IsRefLikeType: true } named || !seen.Add(named))
        {
            return false;
        }

        if (named.Name is "ReadGuard" or "WriteGuard" or "HeaderGuard"
            && named.ContainingNamespace is { Name: "ManagerVerified", ContainingNamespace.IsGlobalNamespace: true })
        {
            return true;
        }

        return named.GetMembers().OfType<IFieldSymbol>().Any(f => !f.IsStatic && f.RefKind == RefKind.None && IsGuard(f.Type, seen));
    }
}
