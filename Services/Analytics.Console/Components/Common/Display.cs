using System.Globalization;
using Analytics.Schemas.Contracts;

namespace Analytics.Console.Components.Common;

/// <summary>How the console writes times, kinds and actors, the same on every screen.</summary>
public static class Display
{
    /// <summary>A time in the site's own zone (operators think in the store's clock), with the zone named.</summary>
    public static string Time(DateTimeOffset at, string? timeZone = null)
    {
        var zone = Zone(timeZone);
        var local = TimeZoneInfo.ConvertTime(at, zone);
        return local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + (zone == TimeZoneInfo.Utc ? " UTC" : $" ({zone.Id})");
    }

    /// <summary>How long ago, roughly: "just now", "5 min ago", "3 h ago", "2 d ago".</summary>
    public static string Ago(DateTimeOffset at, DateTimeOffset now) => (now - at) switch
    {
        var d when d < TimeSpan.FromMinutes(1) => "just now",
        var d when d < TimeSpan.FromHours(1) => $"{(int)d.TotalMinutes} min ago",
        var d when d < TimeSpan.FromDays(1) => $"{(int)d.TotalHours} h ago",
        var d => $"{(int)d.TotalDays} d ago",
    };

    /// <summary><c>shelf_sweep</c> as "Shelf sweep".</summary>
    public static string Kind(string kind) =>
        kind.Length == 0 ? kind : char.ToUpperInvariant(kind[0]) + kind[1..].Replace('_', ' ');

    public static string Severity(Severity severity) => severity.ToString().ToLowerInvariant();

    /// <summary>An actor as the API records it, shown for people: "you" for the signed-in person.</summary>
    public static string Actor(string actor, Analytics.Console.Sessions.ConsoleUser? viewer) =>
        viewer is not null && actor == viewer.Actor ? $"you ({viewer.Email})" : actor;

    private static TimeZoneInfo Zone(string? id)
    {
        if (id is not null && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone))
        {
            return zone;
        }
        return TimeZoneInfo.Utc;
    }
}
