using System.ComponentModel.DataAnnotations;

namespace Analytics.Schemas.Settings;

/// <summary>
/// Results for rules that relate two settings. Both members are named in
/// <see cref="ValidationResult.MemberNames"/>, the constrained one first, so the validator can
/// suppress the rule when either value is already reported as invalid on its own.
/// </summary>
public static class CrossFieldRules
{
    /// <summary><paramref name="name"/> must be at most <paramref name="limitName"/>.</summary>
    public static ValidationResult? AtMost<T>(ValidationContext context, string name, T value, string limitName, T limit)
        where T : IComparable<T> =>
        value.CompareTo(limit) <= 0 ? null : Result(context, name, value, "must not exceed", ">", limitName, limit);

    /// <summary><paramref name="name"/> must be below <paramref name="limitName"/>.</summary>
    public static ValidationResult? LessThan<T>(ValidationContext context, string name, T value, string limitName, T limit)
        where T : IComparable<T> =>
        value.CompareTo(limit) < 0 ? null : Result(context, name, value, "must be less than", ">=", limitName, limit);

    /// <summary><paramref name="name"/> must be at least <paramref name="limitName"/>.</summary>
    public static ValidationResult? AtLeast<T>(ValidationContext context, string name, T value, string limitName, T limit)
        where T : IComparable<T> =>
        value.CompareTo(limit) >= 0 ? null : Result(context, name, value, "must be at least", "<", limitName, limit);

    /// <summary><paramref name="name"/> must be above <paramref name="limitName"/>.</summary>
    public static ValidationResult? GreaterThan<T>(ValidationContext context, string name, T value, string limitName, T limit)
        where T : IComparable<T> =>
        value.CompareTo(limit) > 0 ? null : Result(context, name, value, "must be greater than", "<=", limitName, limit);

    private static ValidationResult Result<T>(ValidationContext context, string name, T value, string rule, string relation, string limitName, T limit) =>
        new(
            $"{SettingsValidator.KeyOf(context, name)} {rule} {SettingsValidator.KeyOf(context, limitName)} ({SettingsValidator.Format(value)} {relation} {SettingsValidator.Format(limit)})",
            [name, limitName]);

    /// <summary>The results that are problems, for <see cref="IValidatableObject.Validate"/> implementations.</summary>
    public static IEnumerable<ValidationResult> Problems(params ValidationResult?[] results) => results.OfType<ValidationResult>();
}
