using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Analytics.Schemas.Serialization;

namespace Analytics.Schemas.Contracts.Validation;

/// <summary>
/// How one contract type is checked: one typed check per member, in wire order, built once from
/// the member's attributes and type (reflection happens here, never per instance), then the
/// contract's rule.
/// </summary>
internal abstract class ContractPlan
{
    private static readonly ConcurrentDictionary<Type, ContractPlan> _plans = new();

    private readonly Dictionary<string, int> _ordinals;

    protected ContractPlan(IReadOnlyList<string> members)
    {
        _ordinals = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < members.Count; i++)
        {
            _ordinals[members[i]] = i;
        }
    }

    public abstract void Run(object model, ContractContext context);

    /// <summary>The position of <paramref name="member"/> on the wire, by which problems are ordered.</summary>
    public int Ordinal(string member) => _ordinals.TryGetValue(member, out var ordinal)
        ? ordinal
        : throw new ArgumentException($"'{member}' is not a member of this contract.", nameof(member));

    /// <summary>Whether <paramref name="type"/> is a contract record the validator can check.</summary>
    public static bool IsContract(Type type) =>
        type.Namespace == typeof(ContractPlan).Namespace![..^".Validation".Length] && type.IsClass && !type.IsAbstract
        && AnalyticsJsonContext.Default.GetTypeInfo(type) is { Kind: JsonTypeInfoKind.Object };

    public static ContractPlan For(Type type) => _plans.GetOrAdd(type, Build);

    private static ContractPlan Build(Type type)
    {
        if (!IsContract(type))
        {
            throw new ArgumentException($"{type.Name} is not a contract that can be validated.", nameof(type));
        }
        return (ContractPlan)Activator.CreateInstance(typeof(ContractPlan<>).MakeGenericType(type), nonPublic: true)!;
    }
}

internal sealed class ContractPlan<T> : ContractPlan
    where T : class
{
    private readonly FieldCheck<T>[] _fields;
    private readonly IContractRule<T>? _rule;

    private ContractPlan()
        : this(Members())
    {
    }

    private ContractPlan(JsonPropertyInfo[] members)
        : base([.. members.Select(member => member.Name)])
    {
        var nullability = new NullabilityInfoContext();
        var fields = new List<FieldCheck<T>>();
        for (var i = 0; i < members.Length; i++)
        {
            if (members[i].AttributeProvider is PropertyInfo property && FieldChecks.Create<T>(property, members[i].Name, i, nullability) is { } check)
            {
                fields.Add(check);
            }
        }
        _fields = [.. fields];
        var ruleAttribute = typeof(T).GetCustomAttributes(inherit: false)
            .FirstOrDefault(attribute => attribute.GetType() is { IsGenericType: true } t && t.GetGenericTypeDefinition() == typeof(ContractRuleAttribute<>));
        if (ruleAttribute is not null)
        {
            _rule = (IContractRule<T>)Activator.CreateInstance(ruleAttribute.GetType().GetGenericArguments()[0])!;
        }
    }

    public override void Run(object model, ContractContext context)
    {
        var typed = (T)model;
        foreach (var field in _fields)
        {
            field.Check(typed, context);
        }
        if (_rule is not null && !context.FieldsOnly)
        {
            _rule.Check(typed, context);
        }
    }

    private static JsonPropertyInfo[] Members()
    {
        var typeInfo = AnalyticsJsonContext.Default.GetTypeInfo(typeof(T))!;
        return [.. typeInfo.Properties.OrderBy(property => property.Order)];
    }
}

/// <summary>The check of one member of a contract, at its JSON name.</summary>
internal abstract class FieldCheck<T>(string name, int ordinal)
{
    public void Check(T model, ContractContext context)
    {
        context.PushMember(name, ordinal);
        try
        {
            CheckValue(model, context);
        }
        finally
        {
            context.Pop();
        }
    }

    protected abstract void CheckValue(T model, ContractContext context);
}

/// <summary>Builds the check of a member from its attributes and type.</summary>
internal static class FieldChecks
{
    public static FieldCheck<T>? Create<T>(PropertyInfo property, string name, int ordinal, NullabilityInfoContext nullability)
        where T : class
    {
        var type = property.PropertyType;
        var required = !type.IsValueType && nullability.Create(property).ReadState == NullabilityState.NotNull;
        var method = typeof(FieldChecks).GetMethod(nameof(Typed), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(typeof(T), type);
        var getter = property.GetMethod!.CreateDelegate(typeof(Func<,>).MakeGenericType(typeof(T), type));
        return (FieldCheck<T>?)method.Invoke(null, [getter, property, name, ordinal, required]);
    }

    private static FieldCheck<T>? Typed<T, TValue>(Func<T, TValue> get, PropertyInfo property, string name, int ordinal, bool required)
        where T : class
    {
        var value = ValueCheck.Create(typeof(TValue), property, typeof(T), required);
        return value is null ? null : new Member<T, TValue>(name, ordinal, get, (ValueCheck<TValue>)value);
    }

    private sealed class Member<T, TValue>(string name, int ordinal, Func<T, TValue> get, ValueCheck<TValue> check) : FieldCheck<T>(name, ordinal)
    {
        protected override void CheckValue(T model, ContractContext context) => check.Check(get(model), context);
    }
}

/// <summary>The check of one value (a member, or an item of a list) at the context's current path.</summary>
internal abstract class ValueCheck<TValue>
{
    public abstract void Check(TValue value, ContractContext context);
}

internal static class ValueCheck
{
    /// <summary>The check for a value of <paramref name="type"/>; null when nothing about it can be wrong.</summary>
    /// <param name="type">The value's type.</param>
    /// <param name="attributes">Where the limits are written: the property.</param>
    /// <param name="owner">The contract that holds the value, for <see cref="SchemaVersionAttribute"/>.</param>
    /// <param name="required">Whether null is refused.</param>
    public static object? Create(Type type, ICustomAttributeProvider attributes, Type owner, bool required)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (type == typeof(string))
        {
            return new StringCheck(attributes, required);
        }
        if (type == typeof(double) || underlying == typeof(double))
        {
            return Generic(typeof(NumberCheck<>), type, new NumberLimits(Attribute<RangeAttribute>(attributes)));
        }
        if (type == typeof(int) || underlying == typeof(int))
        {
            var versions = Attribute<SchemaVersionAttribute>(attributes) is null ? null : EventTypes.ContractName(owner);
            return Generic(typeof(NumberCheck<>), type, new NumberLimits(Attribute<RangeAttribute>(attributes), versions));
        }
        if (type == typeof(DateTimeOffset) || underlying == typeof(DateTimeOffset))
        {
            return Generic(typeof(TimestampCheck<>), type, Attribute<NotInFutureAttribute>(attributes) is not null);
        }
        if (type == typeof(Guid))
        {
            return new GuidCheck();
        }
        if (type == typeof(JsonElement))
        {
            return new JsonObjectCheck();
        }
        if ((underlying ?? type).IsEnum)
        {
            return Activator.CreateInstance(typeof(EnumCheck<,>).MakeGenericType(type, underlying ?? type));
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>) && type.GetGenericArguments()[1] == typeof(double))
        {
            return new MeasurementsCheck(required, Attribute<IdAttribute>(attributes) is not null);
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            var itemType = type.GetGenericArguments()[0];
            if (Attribute<ZoneRuleNamesAttribute>(attributes) is not null)
            {
                return new ZoneRuleNamesCheck();
            }
            var item = itemType == typeof(string)
                ? (Attribute<IdAttribute>(attributes) is null ? null : new StringItemCheck())
                : Create(itemType, NoAttributes.Instance, owner, required: true);
            return Activator.CreateInstance(typeof(ListCheck<>).MakeGenericType(itemType), item, required,
                Attribute<MinLengthAttribute>(attributes)?.Length, Attribute<MaxLengthAttribute>(attributes)?.Length);
        }
        if (ContractPlan.IsContract(type))
        {
            return Activator.CreateInstance(typeof(ObjectCheck<>).MakeGenericType(type), [required]);
        }
        if (type == typeof(bool) || type == typeof(TimeOnly))
        {
            return null;
        }
        throw new NotSupportedException($"The validator has no check for {type.Name}; add one so the member is not silently unchecked.");
    }

    public static TAttribute? Attribute<TAttribute>(ICustomAttributeProvider provider)
        where TAttribute : Attribute =>
        provider.GetCustomAttributes(typeof(TAttribute), inherit: true).OfType<TAttribute>().FirstOrDefault();

    private static object Generic(Type definition, Type type, object argument) =>
        Activator.CreateInstance(definition.MakeGenericType(type), argument)!;

    private sealed class NoAttributes : ICustomAttributeProvider
    {
        public static readonly NoAttributes Instance = new();

        public object[] GetCustomAttributes(bool inherit) => [];

        public object[] GetCustomAttributes(Type attributeType, bool inherit) => [];

        public bool IsDefined(Type attributeType, bool inherit) => false;
    }
}
