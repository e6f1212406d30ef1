using System.ComponentModel.DataAnnotations;
using Analytics.Schemas;
using Analytics.Schemas.Settings;

namespace Analytics.Migrations;

/// <summary>
/// Passwords of the roles the services connect as (<see cref="DatabaseRoles"/>). After the scripts,
/// the migrations give each configured role LOGIN and its password; a role left out keeps what it
/// has, so a deployment whose roles a DBA manages configures none.
/// </summary>
public sealed class DatabaseRoleSettings : IValidatableObject
{
    public const string SectionName = "DatabaseRoles";

    /// <summary>Shorter passwords could be guessed; the AppHost generates 22 characters.</summary>
    public const int MinPasswordLength = 16;

    /// <summary>Password by role name, e.g. <c>DatabaseRoles:Passwords:analytics_api</c>.</summary>
    public Dictionary<string, string> Passwords { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (role, password) in Passwords)
        {
            var key = SettingsValidator.KeyOf(validationContext, $"{nameof(Passwords)}:{role}");
            if (!DatabaseRoles.All.Contains(role))
            {
                yield return new ValidationResult(
                    $"{key} names no role of the platform; the roles are {string.Join(", ", DatabaseRoles.All)}", [nameof(Passwords)]);
            }
            else if ((password?.Length ?? 0) < MinPasswordLength)
            {
                yield return new ValidationResult(
                    $"{key} must have at least {MinPasswordLength} characters, had {password?.Length ?? 0}", [nameof(Passwords)]);
            }
        }
    }
}
