namespace Analytics.Schemas.Settings;

/// <summary>
/// Configuration section names needed outside the project that owns their settings class. The
/// AppHost forwards these sections to the services that read them, but references the services
/// only as Aspire project resources, not as assemblies, so it cannot see their settings classes.
/// Each settings class takes its <c>SectionName</c> from here, so there is one spelling.
/// </summary>
public static class SettingsSections
{
    /// <summary>Section of <c>Analytics.Incidents.FusionSettings</c>, read by fusion and the API.</summary>
    public const string Fusion = "Fusion";

    /// <summary>Section of <c>Analytics.Notifier.NotifierSettings</c>.</summary>
    public const string Notifier = "Notifier";

    /// <summary>Section of <c>Analytics.Tenancy.AuthSettings</c>, read by ingest and the API: where people's tokens come from.</summary>
    public const string Auth = "Auth";

    /// <summary>Section of <c>Analytics.Consumers.ConsumerSettings</c>, read by every checkpointed consumer.</summary>
    public const string Consumers = "Consumers";

    /// <summary>Section of <c>Analytics.Tenancy.RateLimiting.RateLimitSettings</c>, read by ingest and the API.</summary>
    public const string RateLimits = "RateLimits";

    /// <summary>Section of <c>Analytics.Console.ConsoleSettings</c>: where the console finds the API and sign-in.</summary>
    public const string Console = "Console";
}
