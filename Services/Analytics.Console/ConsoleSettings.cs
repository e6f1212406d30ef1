using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Settings;

namespace Analytics.Console;

/// <summary>Where the console finds the API and the sign-in service, and how long a session lasts.</summary>
public sealed class ConsoleSettings
{
    public const string SectionName = SettingsSections.Console;

    /// <summary>The API's base URL; the console reaches data only through it. The AppHost's service discovery resolves http://api.</summary>
    [Required, AbsoluteHttpUrl]
    public string ApiUrl { get; set; } = "http://api";

    /// <summary>The GoTrue-compatible sign-in endpoints (the identity service's, or a Supabase project's /auth/v1).</summary>
    [Required, AbsoluteHttpUrl]
    public string IdentityUrl { get; set; } = "http://identity/auth/v1";

    /// <summary>A signed-in browser that has not been used for this long signs in again; its session and refresh token are dropped.</summary>
    [Range(5, 10080)]
    public int SessionIdleMinutes { get; set; } = 480;

    /// <summary>Incidents per page of the inbox; the next page loads as the operator scrolls to the end.</summary>
    [Range(10, 500)]
    public int InboxPageSize { get; set; } = 50;
}
