using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Json.Schema;
using static Analytics.Tests.Schemas.ContractSamples;

namespace Analytics.Tests.Schemas;

/// <summary>
/// The published JSON Schemas and the service's validation must say the same of every document:
/// for every field of every published contract, boundary values (lengths at and past their
/// limits, numbers at and past their bounds, blank strings, enum members and a stranger, a
/// missing, null or mistyped value) go to the schema through a real validator (JsonSchema.Net)
/// and to what a service does with a body: read it with the contract serializer, then
/// <see cref="ContractValidator.ValidateFields{T}"/>. What only the service can judge (cross-field
/// rules, the clock, the host's time zones) is the contracts' rules, outside this comparison.
/// </summary>
public sealed class ContractDifferentialTests
{
    private static readonly EvaluationOptions Options = new()
    {
        OutputFormat = OutputFormat.Flag,
        // We publish "format": "date-time" and "uuid"; a validator that asserts formats must agree
        // with the service, so this one does.
        RequireFormatValidation = true,
    };

    private static readonly Lazy<IReadOnlyDictionary<string, JsonSchema>> Schemas = new(() =>
        ContractSchemas.Generate().ToDictionary(
            pair => pair.Key,
            pair => JsonSchema.FromText(pair.Value, new BuildOptions { SchemaRegistry = new SchemaRegistry() }),
            StringComparer.Ordinal));

    /// <summary>A valid document of every published contract, with every optional member present, and how a service reads it.</summary>
    private static readonly Dictionary<string, (Func<string> Sample, Func<string, object?> Read)> Contracts = new(StringComparer.Ordinal)
    {
        ["track-update.v1.schema.json"] = (() => Write(TrackUpdate(), Json.TrackUpdate), text => Kind(text, Json.TrackUpdate)),
        ["zone-hit.v1.schema.json"] = (() => Write(ZoneHit(), Json.ZoneHit), text => Kind(text, Json.ZoneHit)),
        ["affect-telemetry.v1.schema.json"] = (() => Write(AffectTelemetry(), Json.AffectTelemetry), text => Kind(text, Json.AffectTelemetry)),
        ["camera-heartbeat.v1.schema.json"] = (() => Write(Heartbeat(), Json.CameraHeartbeat), text => Kind(text, Json.CameraHeartbeat)),
        ["observation.v1.schema.json"] = (() => Write<Observation>(TrackUpdate(), Json.Observation), text => AnalyticsJson.Deserialize(text, Json.Observation)),
        ["signal.v1.schema.json"] = (() => Write(Signal(), Json.Signal), text => AnalyticsJson.Deserialize(text, Json.Signal)),
        ["incident.v1.schema.json"] = (() => Write(FullIncident(), Json.Incident), text => AnalyticsJson.Deserialize(text, Json.Incident)),
        ["incident-event.v1.schema.json"] = (() => Write(IncidentEvent(), Json.IncidentEvent), text => AnalyticsJson.Deserialize(text, Json.IncidentEvent)),
        ["silence.v1.schema.json"] = (() => Write(Silence(), Json.Silence), text => AnalyticsJson.Deserialize(text, Json.Silence)),
        ["notification-rule.v1.schema.json"] = (() => Write(NotificationRule(), Json.NotificationRule), text => AnalyticsJson.Deserialize(text, Json.NotificationRule)),
        ["delivery.v1.schema.json"] = (() => Write(Delivery(), Json.Delivery), text => AnalyticsJson.Deserialize(text, Json.Delivery)),
        ["notification-message.v1.schema.json"] = (() => Write(Message(), Json.NotificationMessage), text => AnalyticsJson.Deserialize(text, Json.NotificationMessage)),
        ["site.v1.schema.json"] = (() => Write(Site(), Json.Site), text => AnalyticsJson.Deserialize(text, Json.Site)),
        ["camera.v1.schema.json"] = (() => Write(Camera(), Json.Camera), text => AnalyticsJson.Deserialize(text, Json.Camera)),
        ["zone.v1.schema.json"] = (() => Write(Zone(), Json.Zone), text => AnalyticsJson.Deserialize(text, Json.Zone)),
        ["analytics-event.v1.schema.json"] = (() => Write(Event(), Json.AnalyticsEvent), text => AnalyticsJson.Deserialize(text, Json.AnalyticsEvent)),
    };

    private static AnalyticsJsonContext Json => AnalyticsJsonContext.Default;

    // A kind sent on its own has no discriminator; inside a batch it has one, and is read as an
    // observation, which must then be of this kind.
    private static T? Kind<T>(string text, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> kind)
        where T : Observation
    {
        if (JsonNode.Parse(text) is JsonObject document && document.ContainsKey("type"))
        {
            return AnalyticsJson.Deserialize(text, Json.Observation) as T ?? throw new JsonException("is an observation of another kind");
        }
        return AnalyticsJson.Deserialize(text, kind);
    }

    public static TheoryData<string> PublishedContracts => [.. ContractSchemas.Generate().Keys];

    [Fact]
    public void Every_published_contract_is_compared()
    {
        Assert.Equal(ContractSchemas.Generate().Keys.Order(StringComparer.Ordinal), Contracts.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(PublishedContracts))]
    public void Samples_are_valid_to_both_and_to_the_rules(string schemaFile)
    {
        var (sample, read) = Contracts[schemaFile];
        var text = sample();

        Assert.True(SchemaAccepts(schemaFile, text), $"The schema refuses the sample {text}");
        var model = read(text);
        Assert.Empty(ContractValidator.Validate(model, Now));
    }

    [Theory]
    [MemberData(nameof(PublishedContracts))]
    public void Schema_and_service_agree_on_every_boundary_value_of_every_field(string schemaFile)
    {
        var (sample, read) = Contracts[schemaFile];
        var schema = JsonNode.Parse(ContractSchemas.Generate()[schemaFile])!.AsObject();
        var document = JsonNode.Parse(sample())!.AsObject();
        var cases = new List<Case>();
        Fields(schema, document, "$", (path, fieldSchema, parent, name) => cases.AddRange(Values(path, fieldSchema, parent, name)));
        Assert.True(cases.Count > 20, $"Only {cases.Count} cases for {schemaFile}");

        var disagreements = new List<string>();
        foreach (var @case in cases)
        {
            var text = @case.Apply();
            var schemaVerdict = SchemaAccepts(schemaFile, text);
            var (serviceVerdict, why) = ServiceAccepts(read, text);
            if (schemaVerdict != serviceVerdict)
            {
                disagreements.Add($"{@case.Path} = {@case.Shown}: schema {(schemaVerdict ? "accepts" : "refuses")}, service {(serviceVerdict ? "accepts" : $"refuses ({why})")}");
            }
        }

        Assert.True(disagreements.Count == 0, $"{schemaFile}: {disagreements.Count} of {cases.Count} documents judged differently:\n  {string.Join("\n  ", disagreements)}");
    }

    private static bool SchemaAccepts(string schemaFile, string text)
    {
        using var document = JsonDocument.Parse(text);
        return Schemas.Value[schemaFile].Evaluate(document.RootElement, Options).IsValid;
    }

    private static (bool Accepts, string Why) ServiceAccepts(Func<string, object?> read, string text)
    {
        object? model;
        try
        {
            model = read(text);
        }
        catch (JsonException exception)
        {
            return (false, AnalyticsJson.Reason(exception.Message));
        }
        var problems = ContractValidator.ValidateFields(model);
        return (problems.Count == 0, string.Join("; ", problems));
    }

    private delegate void FieldVisitor(string path, JsonObject schema, JsonObject parent, string name);

    /// <summary>Every member the schema describes that the document's object has or could have, depth first.</summary>
    private static void Fields(JsonObject schema, JsonObject document, string path, FieldVisitor visit)
    {
        // A union: the branch the sample is in.
        if (schema["anyOf"] is JsonArray branches)
        {
            var kind = (string?)document["type"];
            schema = branches.Select(branch => branch!.AsObject()).Single(branch => (string?)branch["properties"]?["type"]?["const"] == kind);
        }
        if (schema["properties"] is not JsonObject properties)
        {
            return;
        }
        foreach (var (name, node) in properties)
        {
            var fieldSchema = node!.AsObject();
            var fieldPath = $"{path}.{name}";
            visit(fieldPath, fieldSchema, document, name);
            if (document[name] is JsonObject child)
            {
                Fields(fieldSchema, child, fieldPath, visit);
            }
            else if (document[name] is JsonArray { Count: > 0 } items && items[0] is JsonObject item && fieldSchema["items"] is JsonObject itemSchema)
            {
                Fields(itemSchema, item, $"{fieldPath}[0]", visit);
            }
        }
    }

    /// <summary>A document that differs from the sample in one value.</summary>
    private sealed record Case(string Path, string Shown, Func<string> Apply);

    private static IEnumerable<Case> Values(string path, JsonObject schema, JsonObject parent, string name)
    {
        Case Set(JsonNode? value, string? shown = null)
        {
            var text = value?.ToJsonString() ?? "null";
            return new Case(path, shown ?? text, () => With(parent, name, node => node[name] = value?.DeepClone()));
        }

        // Dropping a member: the schema's "required" and the service's checks must agree on it.
        yield return new Case(path, "(missing)", () => With(parent, name, node => node.Remove(name)));
        yield return Set(null);

        if (schema["const"] is JsonNode constant)
        {
            yield return Set(constant.DeepClone());
            yield return Set(JsonValue.Create("bogus"));
            yield break;
        }

        var types = schema["type"] switch
        {
            JsonArray list => list.Select(type => (string)type!).ToList(),
            JsonValue single => [(string)single!],
            _ => [],
        };

        if (schema["enum"] is JsonArray members)
        {
            foreach (var member in members)
            {
                yield return Set(member?.DeepClone());
            }
            if (types.Contains("string"))
            {
                yield return Set(JsonValue.Create("bogus"));
                yield return Set(JsonValue.Create(((string?)members[0] ?? "x").ToUpperInvariant()));
            }
            else
            {
                yield return Set(JsonValue.Create(0));
                yield return Set(JsonValue.Create(2));
            }
        }

        if (types.Contains("string"))
        {
            foreach (var value in Strings(schema))
            {
                yield return Set(JsonValue.Create(value), Shown(value));
            }
            yield return Set(JsonValue.Create(1));
        }
        if (types.Contains("integer") || types.Contains("number"))
        {
            foreach (var value in Numbers(schema, integer: types.Contains("integer")))
            {
                yield return Set(JsonValue.Create(value));
            }
            yield return Set(JsonValue.Create("1"));
        }
        if (types.Contains("boolean"))
        {
            yield return Set(JsonValue.Create(true));
            yield return Set(JsonValue.Create("true"));
        }
        if (types.Contains("object"))
        {
            yield return Set(JsonValue.Create("x"));
            yield return Set(new JsonArray());
            if (schema["additionalProperties"] is JsonObject)
            {
                // A map: its names and its values.
                foreach (var key in new[] { "", " ", "a", new string('k', 128), new string('k', 129) })
                {
                    yield return Set(new JsonObject { [key] = 1.5 }, $"{{{Shown(key)}: 1.5}}");
                }
                yield return Set(new JsonObject { ["a"] = "x" });
                yield return Set(new JsonObject());
            }
        }
        if (types.Contains("array"))
        {
            yield return Set(JsonValue.Create("x"));
            var sample = parent[name] as JsonArray;
            var item = sample is { Count: > 0 } ? sample[0] : null;
            yield return Set(new JsonArray());
            if (item is not null)
            {
                foreach (var count in new[] { 1, 2, 3, 20, 21, 50, 51 })
                {
                    yield return Set(new JsonArray([.. Enumerable.Range(0, count).Select(_ => item.DeepClone())]), $"{count} × {item.ToJsonString()}");
                }
                if (item is JsonValue && item.GetValueKind() == JsonValueKind.String)
                {
                    // Distinct items (a list that must not repeat itself), then one repeat.
                    var texts = sample!.Select(node => (string?)node).ToList();
                    yield return Set(new JsonArray([.. texts.Select(text => (JsonNode?)JsonValue.Create(text)), JsonValue.Create(texts[0])]));
                }
            }
            yield return Set(new JsonArray(JsonValue.Create(1)));
            yield return Set(new JsonArray((JsonNode?)null));
            if (schema["items"] is JsonObject itemSchema && itemSchema["properties"] is null)
            {
                // Values of the items themselves: each as the only item.
                foreach (var inner in Values($"{path}[0]", itemSchema, new JsonObject { ["item"] = item?.DeepClone() }, "item"))
                {
                    var only = JsonNode.Parse(inner.Apply())!["item"];
                    if (only is not null)
                    {
                        yield return Set(new JsonArray(only.DeepClone()), $"[{inner.Shown}]");
                    }
                }
            }
        }
    }

    /// <summary>The whole document with one change to <paramref name="parent"/>, which is put back as it was.</summary>
    private static string With(JsonObject parent, string name, Action<JsonObject> change)
    {
        var had = parent.TryGetPropertyValue(name, out var original);
        var index = had ? parent.IndexOf(name) : -1;
        var saved = original?.DeepClone();
        change(parent);
        var result = parent.Root.ToJsonString();
        parent.Remove(name);
        if (had)
        {
            parent.Insert(index, name, saved);
        }
        return result;
    }

    private static List<string> Strings(JsonObject schema)
    {
        if ((string?)schema["format"] == "date-time")
        {
            return
            [
                "2025-06-01T11:00:00Z", "2025-06-01T13:00:00+02:00", "2025-06-01t11:00:00z", "2025-06-01T11:00:00.1234567Z",
                "2025-06-01", "2025-06-01T11:00:00", "2025-06-01 11:00:00Z", "2025-02-30T11:00:00Z", "2025-06-01T11:00:60Z",
                "2025-06-01T24:00:00Z", " 2025-06-01T11:00:00Z", "",
            ];
        }
        if (schema["description"]?.GetValue<string>().StartsWith("Local ", StringComparison.Ordinal) == true)
        {
            // A local time of day.
            return ["22:00:00", "22:00", "22:00:00.5", "22:00:00.1234567", "22:00:00.12345678", "7:00:00", "24:00:00", "23:59:60", "22:00:00Z", "22:00:00+01:00", "22", ""];
        }
        if ((string?)schema["format"] == "uuid")
        {
            return
            [
                "0b6c7a8e-4f1d-4c39-9b55-2f9d3c1e7a10", "0B6C7A8E-4F1D-4C39-9B55-2F9D3C1E7A10", Guid.Empty.ToString(),
                "0b6c7a8e4f1d4c399b552f9d3c1e7a10", "{0b6c7a8e-4f1d-4c39-9b55-2f9d3c1e7a10}", "not-a-guid", "",
            ];
        }
        // Blank by every reading (.NET's char.IsWhiteSpace, ECMA-262's \s) and the characters the two read differently.
        var values = new List<string> { "", " ", "\t", "\u00a0", "\u2003", "\u0085", "\ufeff", "\u200b", " \n ", "a", " a ", "x y" };
        if ((int?)schema["minLength"] is { } minLength)
        {
            values.Add(new string('a', Math.Max(0, minLength - 1)));
            values.Add(new string('a', minLength));
        }
        if ((int?)schema["maxLength"] is { } maxLength)
        {
            values.Add(new string('a', maxLength));
            values.Add(new string('a', maxLength + 1));
            values.Add(" " + new string('a', maxLength - 1));
        }
        if ((string?)schema["pattern"] is { Length: > 10 })
        {
            // A shaped string (a traceparent): the valid one, and each way its shape can break.
            values.AddRange(
            [
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
                "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
                "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
                "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            ]);
        }
        return values;
    }

    private static IEnumerable<double> Numbers(JsonObject schema, bool integer)
    {
        var step = integer ? 1 : 1e-6;
        var values = new List<double> { 0, 1, -1, 0.5, 1e12 };
        foreach (var bound in new[] { "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum" })
        {
            if ((double?)schema[bound] is { } value)
            {
                values.AddRange([value - step, value, value + step]);
                if (integer)
                {
                    values.Add(value + 0.5);
                }
            }
        }
        if (integer)
        {
            values.AddRange([2147483647, 2147483648, -2147483649]);
        }
        return values.Distinct();
    }

    private static string Shown(string value) => value.Length > 20
        ? string.Create(CultureInfo.InvariantCulture, $"'{value[..8]}…' ({value.Length} characters)")
        : JsonSerializer.Serialize(value);

    private static string Write<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo) => JsonSerializer.Serialize(value, typeInfo);

    private static CameraHeartbeat Heartbeat() => new() { SchemaVersion = 1, SiteId = "store-17", CameraId = "cam-entrance", OccurredAt = Now.AddSeconds(-1) };

    private static Incident FullIncident() => Incident() with
    {
        ZoneId = "zone-1",
        Status = IncidentStatus.Resolved,
        AcknowledgedAt = Now.AddMinutes(-4),
        ResolvedAt = Now.AddMinutes(-2),
        Silenced = true,
    };

    // The opening carries the most fields of any incident event type.
    private static IncidentOpened IncidentEvent() => new()
    {
        IncidentId = "inc-1",
        OrgId = "org-1",
        Version = 1,
        At = Now,
        Actor = "fusion",
        SignalId = "sig-1",
        SignalKind = "loitering",
        SignalAt = Now.AddMinutes(-1),
        Domain = Domain.Antitheft,
        Kind = "loitering",
        Severity = Severity.High,
        SiteId = "store-17",
        CameraId = "cam-1",
        ZoneId = "zone-1",
        GroupKey = "store-17|zone-1",
        Reason = "dwell",
        SilenceId = "sil-1",
        SchemaVersion = 1,
    };

    private static Silence Silence() => new()
    {
        SilenceId = "sil-1",
        OrgId = "org-1",
        SiteId = "store-17",
        CameraId = "cam-1",
        ZoneId = "zone-1",
        Kind = "loitering",
        StartsAt = Now,
        EndsAt = Now.AddHours(1),
        Comment = "maintenance",
        CreatedBy = "key-1",
        CreatedAt = Now,
    };

    private static NotificationRule NotificationRule() => new()
    {
        OrgId = "org-1",
        RuleId = "ops-hook",
        Name = "Ops webhook",
        Channel = NotificationChannel.Webhook,
        Url = "https://hooks.example.com/analytics",
        MinSeverity = Severity.Medium,
        Domains = [Domain.Antitheft, Domain.Safety],
        Kinds = ["suspected_theft", "loitering"],
        QuietHours = new ActiveHours { TimeZone = "Europe/Berlin", Start = new TimeOnly(22, 0), End = new TimeOnly(6, 0), Days = [Weekday.Monday] },
        CooldownSeconds = 300,
        NotifyOnResolved = false,
        Enabled = true,
        CreatedAt = Now,
        UpdatedAt = Now,
    };

    private static Delivery Delivery() => new()
    {
        DeliveryId = "del-1",
        OrgId = "org-1",
        Kind = DeliveryKind.Notification,
        Status = DeliveryStatus.Sent,
        Reason = "rule ops-hook matched",
        IncidentId = "inc-1",
        EventVersion = 1,
        Transition = IncidentEventType.Opened,
        EventAt = Now,
        RuleId = "ops-hook",
        Channel = NotificationChannel.Webhook,
        SilenceId = "sil-1",
        DigestId = "dig-1",
        IdempotencyKey = "key-1",
        DecidedAt = Now,
        NextAttemptAt = Now,
        SentAt = Now,
        TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        Attempts = [new DeliveryAttempt { Attempt = 1, Outcome = AttemptOutcome.Sent, StartedAt = Now, FinishedAt = Now, HttpStatus = 200, Error = "none" }],
    };

    private static NotificationMessage Message() => new()
    {
        Kind = DeliveryKind.Notification,
        DeliveryId = "del-1",
        IdempotencyKey = "key-1",
        OrgId = "org-1",
        RuleId = "ops-hook",
        Transition = IncidentEventType.Opened,
        EventVersion = 1,
        Incident = FullIncident(),
        Digest = new NotificationDigest
        {
            WindowStart = Now.AddHours(-1),
            WindowEnd = Now,
            Items = [new DigestItem { DeliveryId = "del-2", IncidentId = "inc-2", Transition = IncidentEventType.Opened, EventVersion = 1, IncidentKind = "loitering", Severity = Severity.Low, SiteId = "store-17", At = Now }],
        },
        SentAt = Now,
        SchemaVersion = 1,
    };

    private static Zone Zone() => new()
    {
        OrgId = "org-1",
        SiteId = "store-17",
        CameraId = "cam-1",
        ZoneId = "zone-1",
        Name = "Checkout",
        Kind = ZoneKind.Checkout,
        Polygon = [new Point(0.1, 0.1), new Point(0.9, 0.1), new Point(0.9, 0.9), new Point(0.1, 0.9)],
        Schedule = new ActiveHours { TimeZone = "Europe/Berlin", Start = new TimeOnly(8, 0), End = new TimeOnly(20, 0), Days = [Weekday.Monday, Weekday.Tuesday] },
        Rules = ["product_removal", "crowding"],
        Thresholds = new ZoneThresholds { LoiteringSeconds = 60, CrowdingCount = 5, CrowdingSeconds = 30, MissingPpeSeconds = 10, LowEngagementThreshold = 0.3 },
    };
}
