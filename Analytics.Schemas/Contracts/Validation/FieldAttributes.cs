namespace Analytics.Schemas.Contracts.Validation;

// Per-field limits. Each is read twice, by ContractSchemas (the published JSON Schema) and by
// ContractValidator (what the services enforce), so a limit is written once, here and on the
// contract property, and the two cannot drift (ContractDifferentialTests feeds both the same
// boundary values). Standard DataAnnotations (Range, MinLength, MaxLength, AllowedValues) are
// read the same way.

/// <summary>
/// An identifier: not empty or whitespace, at most <see cref="ContractLimits.MaxIdLength"/>
/// characters. On a list it applies to every item, on a dictionary to every key.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class IdAttribute : Attribute;

/// <summary>
/// Free text shown to operators: when given, not empty or whitespace (omit it instead) and at
/// most <see cref="MaxLength"/> characters.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class TextAttribute(int maxLength = ContractLimits.MaxTextLength) : Attribute
{
    public int MaxLength { get; } = maxLength;
}

/// <summary>
/// The schema version of the contract that holds the property: one of
/// <see cref="EventTypes.SupportedVersions"/> of its type, which the schema lists as an enum.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SchemaVersionAttribute : Attribute;

/// <summary>
/// An instant the service compares with its clock: not further ahead than the tolerated skew.
/// The published schema cannot say this (it has no clock); the description does.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class NotInFutureAttribute : Attribute;

/// <summary>
/// The checks of a contract that span fields or need more than a JSON Schema can say (a box
/// inside the image, end after start, a channel and its target, an IANA time zone). One small
/// class per contract, named on the record with <see cref="ContractRuleAttribute{TRule}"/>.
/// It runs after the record's own fields were checked, also when some of them failed, so it
/// guards what it reads.
/// </summary>
public interface IContractRule<in T>
{
    void Check(T model, ContractContext context);
}

/// <summary>Names the cross-field rule of a contract record.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ContractRuleAttribute<TRule> : Attribute
    where TRule : new();

/// <summary>
/// A string of a given shape. The pattern is written for both readers: ECMA-262 (the JSON
/// Schema's dialect) and .NET, so it uses no construct they read differently (<c>$</c> matches
/// before a final newline in .NET, so the end is <c>(?![\s\S])</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class PatternAttribute(string pattern, string description) : Attribute
{
    public string Pattern { get; } = pattern;

    /// <summary>What the value must be, in the words of a problem: "must be {description}".</summary>
    public string Description { get; } = description;
}
