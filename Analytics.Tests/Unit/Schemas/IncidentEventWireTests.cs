using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Analytics.Incidents;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;

namespace Analytics.Tests.Schemas;

/// <summary>
/// Incident events are records per type, but histories already stored in <c>incident_events</c>
/// were written by one record with optional fields, and jsonb hands them back with their keys
/// reordered (shortest first), the <c>type</c> discriminator nowhere near the front. Every such
/// document must read as the record of its type, and today's records must write what the old one did.
/// </summary>
public sealed class IncidentEventWireTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    // The old record through the contract settings (strict enums, RFC 3339 timestamps, nulls left
    // out), by reflection since the source-generated context no longer knows it.
    private static readonly JsonSerializerOptions LegacyWriter = new(AnalyticsJson.Options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    /// <summary>Every kind of event as its writer made it with the old record, and the record type it must read as.</summary>
    public static TheoryData<string, Type> OldDocuments() => new()
    {
        { "opened by a signal", typeof(IncidentOpened) },
        { "opened by the platform", typeof(IncidentOpened) },
        { "signals attached", typeof(IncidentSignalsAttached) },
        { "severity changed into a correlation", typeof(IncidentSeverityChanged) },
        { "severity raised", typeof(IncidentSeverityChanged) },
        { "acknowledged with a comment", typeof(IncidentAcknowledged) },
        { "acknowledged", typeof(IncidentAcknowledged) },
        { "resolved by an operator", typeof(IncidentResolved) },
        { "resolved when quiet", typeof(IncidentResolved) },
        { "reopened under a silence", typeof(IncidentReopened) },
        { "commented", typeof(IncidentCommented) },
        { "annotated", typeof(IncidentAnnotated) },
    };

    [Theory]
    [MemberData(nameof(OldDocuments))]
    public void A_document_of_the_old_record_in_jsonb_key_order_reads_as_its_type_and_writes_back_the_same(string name, Type recordType)
    {
        var old = Old(name);
        var stored = JsonbOrder(JsonSerializer.Serialize(old, LegacyWriter));
        Assert.NotEqual("type", JsonNode.Parse(stored)!.AsObject().First().Key);

        var read = IncidentEventJson.Read(stored);

        Assert.IsType(recordType, read);
        Assert.Equal(old.Type, read.Type);
        Assert.Equal((old.OrgId, old.IncidentId, old.Version, old.At, old.Actor), (read.OrgId, read.IncidentId, read.Version, read.At, read.Actor));
        // Same members, same values, same discriminator: the API's history and the stored documents
        // do not change (jsonb order on both sides, as key order is not part of JSON).
        var written = JsonSerializer.Serialize(read, AnalyticsJsonContext.Default.IncidentEvent);
        Assert.Equal(stored, JsonbOrder(written));
        Assert.Equal(Wire.Name(read.Type), JsonNode.Parse(written)!["type"]!.GetValue<string>());
    }

    [Fact]
    public void An_attachment_stored_before_signals_shared_events_reads_as_a_list_of_its_one_signal()
    {
        var old = Old("signal attached before signals shared events");
        var stored = JsonbOrder(JsonSerializer.Serialize(old, LegacyWriter));

        var read = Assert.IsType<IncidentSignalsAttached>(IncidentEventJson.Read(stored));

        Assert.Equal((old.OrgId, old.IncidentId, old.Version, old.At), (read.OrgId, read.IncidentId, read.Version, read.At));
        var signal = Assert.Single(read.Signals);
        Assert.Equal(new AttachedSignal { Id = "s-2", Kind = "product_removal", At = T0.AddSeconds(190), CameraId = "cam-1", ZoneId = "shelf-1" }, signal);
        Assert.Equal(["s-2"], IncidentProjection.SignalIdsOf(read));
    }

    [Fact]
    public void A_whole_old_history_in_jsonb_order_folds_into_the_incident_it_described()
    {
        var history = new[]
        {
            "opened by a signal", "signal attached before signals shared events", "signals attached", "severity changed into a correlation",
            "acknowledged with a comment", "commented", "annotated", "resolved by an operator", "reopened under a silence", "resolved when quiet",
        };

        var events = history.Select((name, i) => IncidentEventJson.Read(JsonbOrder(JsonSerializer.Serialize(Old(name) with { Version = i + 1 }, LegacyWriter)))).ToList();
        var state = events.Aggregate((IncidentState?)null, IncidentProjection.Apply)!;

        Assert.Equal(IncidentStatus.Resolved, state.Status);
        Assert.Equal(("suspected_theft", Severity.Critical), (state.Kind, state.Severity));
        Assert.Equal(4, state.SignalCount);
        Assert.Equal(["loitering", "product_removal"], state.SignalKinds);
        Assert.Equal(("no new signal for 900 s", "camera cam-1 went offline", "sil-7"), (state.Resolution, state.Annotation, state.SilenceId));
        Assert.Equal(10, state.Version);
        Assert.Equal(["s-1", "s-2", "s-3", "s-4"], events.SelectMany(IncidentProjection.SignalIdsOf));
    }

    [Theory]
    // A severity change without the new severity, an attachment without signals, a comment without
    // its text, an opening without its group: states the old record could hold and no type now can.
    [InlineData("""{"at": "2026-11-24T12:00:00Z", "type": "severityChanged", "actor": "fusion", "orgId": "o", "reason": "r", "version": 2, "signalId": "s", "incidentId": "i", "schemaVersion": 1}""", "severity")]
    [InlineData("""{"at": "2026-11-24T12:00:00Z", "type": "signalAttached", "actor": "fusion", "orgId": "o", "version": 2, "incidentId": "i", "schemaVersion": 1}""", "signals")]
    [InlineData("""{"at": "2026-11-24T12:00:00Z", "type": "comment", "actor": "key", "orgId": "o", "version": 2, "incidentId": "i", "schemaVersion": 1}""", "comment")]
    [InlineData("""{"at": "2026-11-24T12:00:00Z", "kind": "k", "type": "opened", "actor": "fusion", "orgId": "o", "domain": "safety", "reason": "r", "siteId": "s", "version": 1, "severity": "high", "incidentId": "i", "schemaVersion": 1}""", "groupKey")]
    [InlineData("""{"at": "2026-11-24T12:00:00Z", "type": "silenced", "actor": "fusion", "orgId": "o", "version": 2, "incidentId": "i", "schemaVersion": 1}""", "silenced")]
    [InlineData("""{"at": "2026-11-24T12:00:00Z", "actor": "fusion", "orgId": "o", "version": 2, "incidentId": "i", "schemaVersion": 1}""", "abstract")]
    public void An_event_missing_what_its_type_always_carries_is_refused(string document, string named)
    {
        var error = Assert.Throws<JsonException>(() => IncidentEventJson.Read(document));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_event_type_has_one_record_whose_discriminator_is_its_wire_name()
    {
        var discriminators = typeof(IncidentEvent).GetCustomAttributes(typeof(JsonDerivedTypeAttribute), inherit: false)
            .Cast<JsonDerivedTypeAttribute>()
            .ToDictionary(a => (string)a.TypeDiscriminator!, a => a.DerivedType);

        Assert.Equal(Enum.GetValues<IncidentEventType>().Select(t => Wire.Name(t)).Order(StringComparer.Ordinal), discriminators.Keys.Order(StringComparer.Ordinal));
        var samples = new Dictionary<IncidentEventType, string>
        {
            [IncidentEventType.Opened] = "opened by a signal",
            [IncidentEventType.SignalAttached] = "signals attached",
            [IncidentEventType.SeverityChanged] = "severity raised",
            [IncidentEventType.Acknowledged] = "acknowledged",
            [IncidentEventType.Resolved] = "resolved when quiet",
            [IncidentEventType.Reopened] = "reopened under a silence",
            [IncidentEventType.Comment] = "commented",
            [IncidentEventType.Annotated] = "annotated",
        };
        Assert.Equal(Enum.GetValues<IncidentEventType>(), samples.Keys.Order());
        foreach (var (type, name) in samples)
        {
            var read = IncidentEventJson.Read(JsonSerializer.Serialize(Old(name), LegacyWriter));
            Assert.Equal((discriminators[Wire.Name(type)], type), (read.GetType(), read.Type));
        }
    }

    [Fact]
    public void The_published_schema_is_one_branch_per_type_requiring_what_the_type_always_carries()
    {
        var schema = JsonNode.Parse(ContractSchemas.Generate()["incident-event.v1.schema.json"])!;
        var branches = schema["anyOf"]!.AsArray().ToDictionary(
            branch => (string)branch!["properties"]!["type"]!["const"]!,
            branch => branch!["required"]!.AsArray().Select(node => (string)node!).ToList());

        // The discriminator values are distinct constants, so exactly one branch can match: a oneOf.
        Assert.Equal(Enum.GetValues<IncidentEventType>().Select(t => Wire.Name(t)).Order(StringComparer.Ordinal), branches.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("type", schema["required"]!.AsArray().Select(node => (string?)node));
        Assert.All(branches.Values, required => Assert.Superset(new HashSet<string> { "incidentId", "orgId", "version", "at", "actor", "schemaVersion" }, required.ToHashSet()));
        Assert.Contains("severity", branches[IncidentEventNames.SeverityChanged]);
        Assert.Contains("signals", branches[IncidentEventNames.SignalAttached]);
        Assert.Contains("comment", branches[IncidentEventNames.Comment]);
        Assert.Equal(["domain", "kind", "severity", "siteId", "groupKey", "reason"], branches[IncidentEventNames.Opened].Except(branches[IncidentEventNames.Acknowledged]));
        Assert.DoesNotContain("comment", branches[IncidentEventNames.Acknowledged]);
    }

    /// <summary>Events as the old record's writers made them: fusion, housekeeping and the API.</summary>
    private static LegacyIncidentEvent Old(string name) => name switch
    {
        "opened by a signal" => Envelope(IncidentEventType.Opened, 1) with
        {
            SignalId = "s-1", SignalKind = "loitering", SignalAt = T0.AddSeconds(130), Domain = Domain.Antitheft, Kind = "loitering",
            Severity = Severity.Medium, SiteId = "store-1", CameraId = "cam-1", ZoneId = "shelf-1", GroupKey = "store-1/zone:shelf-1/suspected_theft",
            Reason = "loitering signal s-1 was medium",
        },
        "opened by the platform" => Envelope(IncidentEventType.Opened, 1) with
        {
            Domain = Domain.Platform, Kind = "camera_offline", Severity = Severity.High, SiteId = "store-1", CameraId = "cam-1",
            GroupKey = "store-1/camera:cam-1/camera_offline", Reason = "camera cam-1 has sent nothing since 2026-11-24T11:00:00.0000000+00:00 (offline after 300 s)",
            SilenceId = "sil-3",
        },
        "signal attached before signals shared events" => Envelope(IncidentEventType.SignalAttached, 2) with
        {
            SignalId = "s-2", SignalKind = "product_removal", SignalAt = T0.AddSeconds(190), CameraId = "cam-1", ZoneId = "shelf-1",
        },
        "signals attached" => Envelope(IncidentEventType.SignalAttached, 3) with
        {
            Signals =
            [
                new AttachedSignal { Id = "s-3", Kind = "loitering", At = T0.AddSeconds(250), CameraId = "cam-1", ZoneId = "shelf-1" },
                new AttachedSignal { Id = "s-4", Kind = "product_removal", At = T0.AddSeconds(260), CameraId = "cam-2" },
            ],
        },
        "severity changed into a correlation" => Envelope(IncidentEventType.SeverityChanged, 4) with
        {
            SignalId = "s-4", Kind = "suspected_theft", Severity = Severity.Critical,
            Reason = "loitering and product_removal in the same zone within 600 s make suspected_theft",
        },
        "severity raised" => Envelope(IncidentEventType.SeverityChanged, 4) with { SignalId = "s-4", Severity = Severity.High, Reason = "intrusion signal s-4 was high" },
        "acknowledged with a comment" => Envelope(IncidentEventType.Acknowledged, 5) with { Actor = "api-key:3f2a", Comment = "on my way" },
        "acknowledged" => Envelope(IncidentEventType.Acknowledged, 5) with { Actor = "api-key:3f2a" },
        "commented" => Envelope(IncidentEventType.Comment, 6) with { Actor = "api-key:3f2a", Comment = "bag recovered" },
        "annotated" => Envelope(IncidentEventType.Annotated, 7) with { Reason = "camera cam-1 went offline" },
        "resolved by an operator" => Envelope(IncidentEventType.Resolved, 8) with { Actor = "api-key:3f2a", Reason = "resolved by an operator", Comment = "false alarm" },
        "reopened under a silence" => Envelope(IncidentEventType.Reopened, 9) with
        {
            SignalId = "s-5", Reason = "loitering signal s-5 came 60 s after it was resolved", SilenceId = "sil-7",
        },
        "resolved when quiet" => Envelope(IncidentEventType.Resolved, 10) with { Reason = "no new signal for 900 s" },
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private static LegacyIncidentEvent Envelope(IncidentEventType type, int version) => new()
    {
        IncidentId = "inc-4f1c2b9a0d3e5f6a7b8c9d0e",
        OrgId = "org-1",
        Version = version,
        Type = type,
        At = T0.AddSeconds(100 * version),
        Actor = "fusion",
        SchemaVersion = 1,
    };

    /// <summary>
    /// The document as Postgres returns a jsonb value: keys of every object sorted by their length
    /// in bytes, then bytewise; the text format's spacing.
    /// </summary>
    internal static string JsonbOrder(string json) => Write(JsonNode.Parse(json));

    private static string Write(JsonNode? node) => node switch
    {
        JsonObject o => "{" + string.Join(", ", o
            .OrderBy(p => Encoding.UTF8.GetByteCount(p.Key))
            .ThenBy(p => Encoding.UTF8.GetBytes(p.Key), Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b)))
            .Select(p => JsonSerializer.Serialize(p.Key) + ": " + Write(p.Value))) + "}",
        JsonArray a => "[" + string.Join(", ", a.Select(Write)) + "]",
        null => "null",
        _ => node.ToJsonString(),
    };
}
