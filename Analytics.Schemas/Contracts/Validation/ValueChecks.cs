using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using static Analytics.Schemas.Contracts.Validation.ContractContext;

namespace Analytics.Schemas.Contracts.Validation;

// The checks of single values, one class per kind of value. Each reports at most one problem per
// value (the first limit it breaks) and allocates only when it reports.

internal sealed class StringCheck : ValueCheck<string?>
{
    private readonly bool _required;
    private readonly bool _id;
    private readonly int? _textMaxLength;
    private readonly int? _minLength;
    private readonly int? _maxLength;
    private readonly string[]? _allowed;
    private readonly PatternAttribute? _pattern;
    private readonly System.Text.RegularExpressions.Regex? _regex;

    public StringCheck(ICustomAttributeProvider attributes, bool required)
    {
        _required = required;
        _id = ValueCheck.Attribute<IdAttribute>(attributes) is not null;
        _textMaxLength = ValueCheck.Attribute<TextAttribute>(attributes)?.MaxLength;
        _minLength = ValueCheck.Attribute<MinLengthAttribute>(attributes)?.Length;
        _maxLength = ValueCheck.Attribute<MaxLengthAttribute>(attributes)?.Length;
        _allowed = ValueCheck.Attribute<AllowedValuesAttribute>(attributes)?.Values.Cast<string>().ToArray();
        _pattern = ValueCheck.Attribute<PatternAttribute>(attributes);
        _regex = _pattern is null ? null : new System.Text.RegularExpressions.Regex(_pattern.Pattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant);
    }

    public override void Check(string? value, ContractContext context)
    {
        if (value is null)
        {
            if (_required)
            {
                context.Add("is required");
            }
        }
        else if (_id)
        {
            IdCheck.Check(value, context);
        }
        else if (_textMaxLength is { } textMaxLength)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                context.Add(Invariant($"must not be empty or whitespace when given (omit it instead), was '{value}'"));
            }
            else if (value.Length > textMaxLength)
            {
                context.Add(Invariant($"must be at most {textMaxLength} characters, was {value.Length} characters"));
            }
        }
        else if (value.Length < _minLength)
        {
            context.Add(Invariant($"must be at least {_minLength} characters, was {value.Length} characters"));
        }
        else if (value.Length > _maxLength)
        {
            context.Add(Invariant($"must be at most {_maxLength} characters, was {value.Length} characters"));
        }
        else if (_allowed is not null && Array.IndexOf(_allowed, value) < 0)
        {
            context.Add(Invariant($"must be one of {string.Join(", ", _allowed)}, was '{value}'"));
        }
        else if (_regex is not null && !_regex.IsMatch(value))
        {
            context.Add(Invariant($"must be {_pattern!.Description}, was '{value}'"));
        }
    }
}

internal static class IdCheck
{
    public static void Check(string? value, ContractContext context)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            context.Add(Invariant($"must not be empty or whitespace, was '{value}'"));
        }
        else if (value.Length > ContractLimits.MaxIdLength)
        {
            context.Add(Invariant($"must be at most {ContractLimits.MaxIdLength} characters, was {value.Length} characters"));
        }
    }
}

/// <summary>An item of a list of strings; only identifiers have limits.</summary>
internal sealed class StringItemCheck : ValueCheck<string>
{
    public override void Check(string value, ContractContext context) => IdCheck.Check(value, context);
}

/// <summary>Rule names of a zone: each a zone rule of the catalog, none twice.</summary>
internal sealed class ZoneRuleNamesCheck : ValueCheck<IReadOnlyList<string>?>
{
    public override void Check(IReadOnlyList<string>? value, ContractContext context)
    {
        if (value is null)
        {
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < value.Count; i++)
        {
            var name = value[i];
            context.PushIndex(i);
            if (RuleCatalog.Find(name) is not { IsZoneRule: true } rule)
            {
                var known = string.Join(", ", RuleCatalog.ZoneRules.Select(r => r.Name));
                context.Add(Invariant($"must be one of the zone rules {known}, was '{name}'"));
            }
            else if (!seen.Add(rule.Name))
            {
                context.Add(Invariant($"must not repeat a rule, '{name}' is listed twice"));
            }
            context.Pop();
        }
    }
}

/// <summary>The limits of a number: a range, or the schema versions of the contract that holds it.</summary>
internal sealed class NumberLimits
{
    public NumberLimits(RangeAttribute? range, string? versionsOf = null)
    {
        VersionsOf = versionsOf;
        if (range is null)
        {
            return;
        }
        Minimum = Bound(range.Minimum);
        Maximum = Bound(range.Maximum);
        MinimumIsExclusive = range.MinimumIsExclusive;
        MaximumIsExclusive = range.MaximumIsExclusive;
    }

    public double? Minimum { get; }

    public double? Maximum { get; }

    public bool MinimumIsExclusive { get; }

    public bool MaximumIsExclusive { get; }

    /// <summary>The contract type (e.g. <c>track_update</c>) whose supported versions the number must be one of.</summary>
    public string? VersionsOf { get; }

    /// <summary>A bound that is the type's own limit (<c>int.MaxValue</c>) is no bound; the published schema leaves it out too.</summary>
    public static double? Bound(object bound) => bound is int.MaxValue or int.MinValue or double.MaxValue or double.MinValue
        ? null
        : Convert.ToDouble(bound, CultureInfo.InvariantCulture);

    public void Check(double value, ContractContext context)
    {
        if (!double.IsFinite(value))
        {
            context.Add(Invariant($"must be a finite number, was {value}"));
            return;
        }
        if (VersionsOf is { } type)
        {
            if (!EventTypes.IsSupported(type, (int)value))
            {
                context.Add(Invariant($"must be a supported {type} version ({string.Join(", ", EventTypes.SupportedVersions(type))}), was {value}"));
            }
            return;
        }
        var belowMinimum = Minimum is { } minimum && (MinimumIsExclusive ? value <= minimum : value < minimum);
        var aboveMaximum = Maximum is { } maximum && (MaximumIsExclusive ? value >= maximum : value > maximum);
        if (!belowMinimum && !aboveMaximum)
        {
            return;
        }
        if (belowMinimum && MinimumIsExclusive)
        {
            context.Add(Invariant($"must be greater than {Minimum}, was {value}"));
        }
        else if (Minimum is not null && Maximum is not null)
        {
            context.Add(Invariant($"must be between {Minimum} and {Maximum}, was {value}"));
        }
        else if (belowMinimum)
        {
            context.Add(Invariant($"must be at least {Minimum}, was {value}"));
        }
        else
        {
            context.Add(Invariant($"must be at most {Maximum}, was {value}"));
        }
    }
}

/// <summary>A number (double or int, nullable or not); read without boxing.</summary>
internal sealed class NumberCheck<TNumber>(NumberLimits limits) : ValueCheck<TNumber>
{
    public override void Check(TNumber value, ContractContext context)
    {
        double number;
        if (typeof(TNumber) == typeof(double))
        {
            number = Unsafe.As<TNumber, double>(ref value);
        }
        else if (typeof(TNumber) == typeof(int))
        {
            number = Unsafe.As<TNumber, int>(ref value);
        }
        else if (typeof(TNumber) == typeof(double?))
        {
            if (Unsafe.As<TNumber, double?>(ref value) is not { } given)
            {
                return;
            }
            number = given;
        }
        else
        {
            if (Unsafe.As<TNumber, int?>(ref value) is not { } given)
            {
                return;
            }
            number = given;
        }
        limits.Check(number, context);
    }
}

internal sealed class TimestampCheck<TTime>(bool notInFuture) : ValueCheck<TTime>
{
    public override void Check(TTime value, ContractContext context)
    {
        DateTimeOffset instant;
        if (typeof(TTime) == typeof(DateTimeOffset))
        {
            instant = Unsafe.As<TTime, DateTimeOffset>(ref value);
            if (instant == default)
            {
                context.Add("is required");
                return;
            }
        }
        else if (Unsafe.As<TTime, DateTimeOffset?>(ref value) is { } given)
        {
            instant = given;
        }
        else
        {
            return;
        }

        // The wire takes any offset and its readers (Rfc3339) convert it to UTC, so a value read
        // from JSON always passes; what this catches is a value built in code with a local
        // offset, which keys, comparisons and stored copies must never see.
        if (instant.Offset != TimeSpan.Zero)
        {
            context.Add(Invariant($"must be UTC (offset +00:00), was {instant:O}"));
        }
        else if (notInFuture && !context.FieldsOnly && instant - context.Now > context.MaxFutureSkew)
        {
            context.Add(Invariant($"must not be more than {context.MaxFutureSkew.TotalSeconds} seconds in the future, was {instant:O} at {context.Now.ToUniversalTime():O}"));
        }
    }
}

internal sealed class GuidCheck : ValueCheck<Guid>
{
    public override void Check(Guid value, ContractContext context)
    {
        if (value == Guid.Empty)
        {
            context.Add("must not be the empty GUID");
        }
    }
}

/// <summary>Raw JSON the platform only accepts as an object (an event's payload).</summary>
internal sealed class JsonObjectCheck : ValueCheck<JsonElement>
{
    public override void Check(JsonElement value, ContractContext context)
    {
        if (value.ValueKind == JsonValueKind.Undefined)
        {
            context.Add("is required");
        }
        else if (value.ValueKind != JsonValueKind.Object)
        {
            context.Add(Invariant($"must be a JSON object, was {value.ValueKind}"));
        }
    }
}

internal sealed class EnumCheck<TValue, TEnum> : ValueCheck<TValue>
    where TEnum : struct, Enum
{
    public override void Check(TValue value, ContractContext context)
    {
        TEnum member;
        if (typeof(TValue) == typeof(TEnum))
        {
            member = Unsafe.As<TValue, TEnum>(ref value);
        }
        else if (Unsafe.As<TValue, TEnum?>(ref value) is { } given)
        {
            member = given;
        }
        else
        {
            return;
        }
        if (!Enum.IsDefined(member))
        {
            context.Add(Invariant($"must be a defined {typeof(TEnum).Name}, was {member}"));
        }
    }
}

/// <summary>Named measurements: names are identifiers, values finite.</summary>
internal sealed class MeasurementsCheck(bool required, bool idKeys) : ValueCheck<IReadOnlyDictionary<string, double>?>
{
    public override void Check(IReadOnlyDictionary<string, double>? value, ContractContext context)
    {
        if (value is null)
        {
            if (required)
            {
                context.Add("is required");
            }
            return;
        }
        // Sorted so the problem order does not depend on dictionary internals.
        foreach (var (name, number) in value.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            if (idKeys && string.IsNullOrWhiteSpace(name))
            {
                context.Add(Invariant($"must not have an empty or whitespace name, was '{name}'"));
            }
            else if (idKeys && name.Length > ContractLimits.MaxIdLength)
            {
                context.Add(Invariant($"must not have a name of more than {ContractLimits.MaxIdLength} characters, was {name.Length} characters"));
            }
            else if (!double.IsFinite(number))
            {
                context.PushKey(name);
                context.Add(Invariant($"must be a finite number, was {number}"));
                context.Pop();
            }
        }
    }
}

internal sealed class ListCheck<TItem>(ValueCheck<TItem>? item, bool required, int? minItems, int? maxItems) : ValueCheck<IReadOnlyList<TItem>?>
{
    public override void Check(IReadOnlyList<TItem>? value, ContractContext context)
    {
        if (value is null)
        {
            if (required)
            {
                context.Add("is required");
            }
            return;
        }
        if (value.Count < minItems)
        {
            context.Add(Invariant($"must have at least {minItems} items, had {value.Count}"));
        }
        else if (value.Count > maxItems)
        {
            context.Add(Invariant($"must have at most {maxItems} items, had {value.Count}"));
        }
        for (var i = 0; i < value.Count; i++)
        {
            // A list never holds null: the schema's items have a type, and readers index the items.
            if (value[i] is null)
            {
                context.PushIndex(i);
                context.Add("is required");
                context.Pop();
            }
            else if (item is not null)
            {
                context.PushIndex(i);
                item.Check(value[i], context);
                context.Pop();
            }
        }
    }
}

/// <summary>A nested contract, checked by its own plan.</summary>
internal sealed class ObjectCheck<TChild>(bool required) : ValueCheck<TChild?>
    where TChild : class
{
    private ContractPlan? _plan;

    public override void Check(TChild? value, ContractContext context)
    {
        if (value is null)
        {
            if (required)
            {
                context.Add("is required");
            }
            return;
        }
        // Resolved on first use: contracts may nest each other, so plans cannot all be built up front.
        context.Walk(value, _plan ??= ContractPlan.For(typeof(TChild)));
    }
}
