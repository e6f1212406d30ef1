using System.Text.Json;
using System.Text.Json.Nodes;
using Analytics.Schemas.Contracts;

namespace Analytics.Schemas.Serialization;

/// <summary>
/// Reads incident events as they were ever stored. The history is append-only and never rewritten,
/// so every shape written since incidents began must still read as today's records.
/// </summary>
public static class IncidentEventJson
{
    /// <summary>
    /// One stored or sent incident event. A signalAttached event written before signals shared
    /// events (before 2026-11-25) named its one signal in <c>signalId</c>, <c>signalKind</c>,
    /// <c>signalAt</c>, <c>cameraId</c> and <c>zoneId</c> instead of a <c>signals</c> list; it is
    /// read as a list of that one signal, as the projection always counted it.
    /// </summary>
    /// <exception cref="JsonException">The document is no incident event of any shape.</exception>
    public static IncidentEvent Read(string json)
    {
        try
        {
            return AnalyticsJson.Deserialize(json, AnalyticsJsonContext.Default.IncidentEvent)
                ?? throw new JsonException("An incident event is an object, not null.");
        }
        // Only such old documents pay for the second parse; today's read in one pass.
        catch (JsonException) when (SingleSignalAttachment(json) is { } upcast)
        {
            return AnalyticsJson.Deserialize(upcast.ToJsonString(), AnalyticsJsonContext.Default.IncidentEvent)!;
        }
    }

    /// <summary>The document in today's shape when it is an old single-signal attachment; null otherwise.</summary>
    private static JsonObject? SingleSignalAttachment(string json)
    {
        JsonObject? document;
        try
        {
            document = JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
        if (document is null
            || document["type"] is not JsonValue type || type.GetValueKind() != JsonValueKind.String || type.GetValue<string>() != IncidentEventNames.SignalAttached
            || document.ContainsKey("signals")
            || document["signalId"] is null || document["signalKind"] is null)
        {
            return null;
        }

        // The event's own time stood in for a signal time the document lacked.
        var signal = new JsonObject
        {
            ["id"] = Take(document, "signalId"),
            ["kind"] = Take(document, "signalKind"),
            ["at"] = Take(document, "signalAt") ?? document["at"]?.DeepClone(),
        };
        foreach (var place in (string[])["cameraId", "zoneId"])
        {
            if (Take(document, place) is { } value)
            {
                signal[place] = value;
            }
        }
        document["signals"] = new JsonArray(signal);
        return document;
    }

    private static JsonNode? Take(JsonObject document, string name)
    {
        document.Remove(name, out var value);
        return value;
    }
}
