using System.ComponentModel.DataAnnotations;

namespace Analytics.Schemas.Settings;

/// <summary>
/// An optional setting that, when given, must be an absolute http or https URL. The built-in
/// <see cref="UrlAttribute"/> accepts ftp and cannot be left empty.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter)]
public sealed class AbsoluteHttpUrlAttribute : ValidationAttribute
{
    public static bool IsAbsoluteHttpUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        var text = value switch
        {
            null => null,
            Uri uri => uri.OriginalString,
            _ => value.ToString(),
        };
        if (string.IsNullOrEmpty(text) || IsAbsoluteHttpUrl(text))
        {
            return ValidationResult.Success;
        }

        return new ValidationResult(
            $"{validationContext.DisplayName} must be an absolute http or https URL, was {SettingsValidator.Format(text)}",
            validationContext.MemberName is { } member ? [member] : null);
    }
}
