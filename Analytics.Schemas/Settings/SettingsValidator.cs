using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;

namespace Analytics.Schemas.Settings;

/// <summary>
/// Checks a bound settings object at startup and reports every problem as one line naming the
/// full configuration key, so an operator can fix the whole configuration in one go.
/// </summary>
public static class SettingsValidator
{
    /// <summary>
    /// <see cref="ValidationContext.Items"/> key under which the configuration path of the object
    /// being validated is passed to <see cref="IValidatableObject"/> implementations.
    /// </summary>
    public const string SectionPathItem = "Analytics.Settings.SectionPath";

    /// <summary>
    /// Runs the DataAnnotations on <paramref name="settings"/> and on nested settings objects, then
    /// the cross-field rules of each <see cref="IValidatableObject"/>.
    /// </summary>
    /// <param name="settings">The bound settings object.</param>
    /// <param name="sectionName">The configuration section it was bound from, e.g. <c>Notifier</c>.</param>
    /// <returns>Every problem, e.g. <c>Antitheft:LoiteringSeconds must be between 1 and 3600, was -5</c>; empty when valid.</returns>
    public static IReadOnlyList<string> Validate(object settings, string sectionName)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(sectionName);
        var problems = new List<string>();
        ValidateObject(settings, sectionName, problems, new HashSet<object>(ReferenceEqualityComparer.Instance));
        return problems;
    }

    /// <summary>
    /// The full configuration key of <paramref name="memberName"/>, for messages of cross-field rules;
    /// just the member name when validation did not come through <see cref="Validate"/>.
    /// </summary>
    public static string KeyOf(ValidationContext context, string memberName) =>
        context.Items.TryGetValue(SectionPathItem, out var path) && path is string { Length: > 0 } section
            ? $"{section}:{memberName}"
            : memberName;

    private static void ValidateObject(object settings, string path, List<string> problems, HashSet<object> visited)
    {
        if (!visited.Add(settings))
        {
            return;
        }

        var failedMembers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in settings.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanRead || property.GetIndexParameters().Length > 0)
            {
                continue;
            }

            var key = $"{path}:{property.Name}";
            var value = property.GetValue(settings);
            if (!ValidateProperty(settings, property, key, value, problems))
            {
                failedMembers.Add(property.Name);
            }
            else if (value is not null && IsNestedSettings(property.PropertyType))
            {
                ValidateObject(value, key, problems, visited);
            }
            else if (value is System.Collections.IEnumerable items and not string)
            {
                // Lists of settings objects (e.g. fusion correlation rules) are checked item by
                // item, each under its configuration key, e.g. Fusion:Correlations:1:Kinds.
                var index = 0;
                foreach (var item in items)
                {
                    if (item is not null && IsNestedSettings(item.GetType()))
                    {
                        ValidateObject(item, $"{key}:{index}", problems, visited);
                    }
                    index++;
                }
            }
        }

        if (settings is IValidatableObject validatable)
        {
            var context = new ValidationContext(settings, serviceProvider: null, new Dictionary<object, object?> { [SectionPathItem] = path });
            foreach (var result in validatable.Validate(context))
            {
                // A cross-field comparison with a value already reported as out of range only repeats
                // that problem in a more confusing way.
                if (!result.MemberNames.Any(failedMembers.Contains))
                {
                    problems.Add(result.ErrorMessage ?? $"{path} is invalid");
                }
            }
        }
    }

    /// <returns>Whether the property passed every attribute.</returns>
    private static bool ValidateProperty(object settings, PropertyInfo property, string key, object? value, List<string> problems)
    {
        var attributes = property.GetCustomAttributes<ValidationAttribute>(inherit: true).ToList();
        if (attributes.Count == 0)
        {
            return true;
        }

        var context = new ValidationContext(settings) { MemberName = property.Name, DisplayName = key };

        // Once a required value is missing, its format rules would only add noise.
        if (attributes.OfType<RequiredAttribute>().FirstOrDefault() is { } required
            && required.GetValidationResult(value, context) != ValidationResult.Success)
        {
            problems.Add($"{key} is required");
            return false;
        }

        var valid = true;
        foreach (var attribute in attributes.Where(attribute => attribute is not RequiredAttribute))
        {
            var result = attribute.GetValidationResult(value, context);
            if (result != ValidationResult.Success)
            {
                problems.Add(Describe(attribute, key, value, result));
                valid = false;
            }
        }

        return valid;
    }

    private static string Describe(ValidationAttribute attribute, string key, object? value, ValidationResult? result) => attribute switch
    {
        RangeAttribute range => $"{key} must be {DescribeRange(range)}, was {Format(value)}",
        EmailAddressAttribute => $"{key} must be an e-mail address, was {Format(value)}",
        RegularExpressionAttribute pattern => $"{key} must match {pattern.Pattern}, was {Format(value)}",
        _ => result?.ErrorMessage ?? attribute.FormatErrorMessage(key),
    };

    private static string DescribeRange(RangeAttribute range)
    {
        var minimum = Format(range.Minimum);
        var maximum = Format(range.Maximum);
        return (range.MinimumIsExclusive, range.MaximumIsExclusive) switch
        {
            (false, false) => $"between {minimum} and {maximum}",
            (true, false) => $"greater than {minimum} and at most {maximum}",
            (false, true) => $"at least {minimum} and less than {maximum}",
            (true, true) => $"greater than {minimum} and less than {maximum}",
        };
    }

    /// <summary>Formats a value for a message: strings quoted, numbers culture-invariant.</summary>
    public static string Format(object? value) => value switch
    {
        null => "null",
        string text => $"'{text}'",
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    // Nested sections are plain classes of our own; framework types such as Uri are values.
    private static bool IsNestedSettings(Type type) =>
        type.IsClass
        && type != typeof(string)
        && !typeof(System.Collections.IEnumerable).IsAssignableFrom(type)
        && type.Namespace?.StartsWith("System", StringComparison.Ordinal) != true;
}
