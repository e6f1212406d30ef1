using System.Diagnostics;

namespace Microsoft.Extensions.Hosting;

/// <summary>The platform's own activity source and meter, exported by every service.</summary>
public static class Telemetry
{
    public const string ActivitySourceName = "Analytics";
    public const string MeterName = "Analytics";

    /// <summary>Links kept per span: enough to follow a page back to its requests, bounded for a large page.</summary>
    public const int MaxLinks = 32;

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);

    /// <summary>
    /// Starts a consumer span for a page of stored work, linked to the distinct W3C trace contexts
    /// stored with it, so the dashboard follows a request from ingest through each later stage.
    /// </summary>
    public static Activity? StartLinkedConsumer(string name, IEnumerable<(string? TraceParent, string? TraceState)> causes)
    {
        var links = new List<ActivityLink>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? previous = null;
        foreach (var (parent, state) in causes)
        {
            if (links.Count == MaxLinks)
            {
                break;
            }
            // A request's entries come together: comparing with the previous one spares hashing
            // each of thousands of entries that share one trace.
            if (parent is null || parent == previous)
            {
                continue;
            }
            previous = parent;
            if (seen.Add(parent) && ActivityContext.TryParse(parent, state, out var context))
            {
                links.Add(new ActivityLink(context));
            }
        }
        return ActivitySource.StartActivity(name, ActivityKind.Consumer, parentContext: default, links: links);
    }
}
