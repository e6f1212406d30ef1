using System.Globalization;
using Analytics.Schemas.Contracts;

namespace Analytics.Notifier.Channels;

/// <summary>The words of a notification, the same in a Slack message and an e-mail.</summary>
public static class MessageText
{
    /// <summary>
    /// One line that says what happened, e.g. <c>[HIGH] product_removal opened at site store-1, zone exit</c>;
    /// a test message's starts with <c>[TEST]</c>, so no one takes it for an incident.
    /// </summary>
    public static string Title(NotificationMessage message) =>
        message.Test ? TestPrefix + IncidentTitle(message) : IncidentTitle(message);

    /// <summary>What a test message's title and e-mail subject begin with.</summary>
    public const string TestPrefix = "[TEST] ";

    private static string IncidentTitle(NotificationMessage message)
    {
        if (message.Digest is { } digest)
        {
            return Invariant($"{digest.Items.Count} incident change(s) over the notification quota between {digest.WindowStart:yyyy-MM-dd HH:mm} and {digest.WindowEnd:HH:mm} UTC");
        }
        var incident = message.Incident!;
        var place = incident.ZoneId is { } zone ? $", zone {zone}" : incident.CameraId is { } camera ? $", camera {camera}" : "";
        return Invariant($"[{Wire.Name(incident.Severity).ToUpperInvariant()}] {incident.Kind} {Verb(message.Transition)} at site {incident.SiteId}{place}");
    }

    /// <summary>The facts an operator needs, one per line.</summary>
    public static IReadOnlyList<(string Name, string Value)> Facts(NotificationMessage message)
    {
        if (message.Digest is { } digest)
        {
            return [.. digest.Items.Select(item => (
                item.IncidentId,
                Invariant($"{item.IncidentKind} ({Wire.Name(item.Severity)}) {Verb(item.Transition)} at site {item.SiteId}, {item.At:yyyy-MM-dd HH:mm:ss} UTC"))),];
        }
        var incident = message.Incident!;
        var facts = new List<(string, string)>
        {
            ("Incident", incident.Id),
            ("Severity", Wire.Name(incident.Severity)),
            ("Status", Wire.Name(incident.Status)),
            ("Domain", Wire.Name(incident.Domain)),
            ("Site", incident.SiteId),
            ("Opened", Invariant($"{incident.OpenedAt:yyyy-MM-dd HH:mm:ss} UTC")),
            ("Signals", incident.SignalIds.Count.ToString(CultureInfo.InvariantCulture)),
        };
        if (incident.SeverityReason is { } reason)
        {
            facts.Add(("Why", reason));
        }
        return facts;
    }

    private static string Verb(IncidentEventType? transition) => transition switch
    {
        IncidentEventType.Opened => "opened",
        IncidentEventType.Reopened => "reopened",
        IncidentEventType.SeverityChanged => "escalated",
        IncidentEventType.Resolved => "resolved",
        { } other => Wire.Name(other),
        null => "changed",
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
