using System.Buffers;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization.Metadata;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Contracts.Validation;

namespace Analytics.Schemas.Serialization;

/// <summary>
/// JSON Schemas (draft 2020-12) of the wire contracts, generated from the C# types so the
/// published schemas cannot drift from what the services actually accept.
/// </summary>
public static class ContractSchemas
{
    public const string DraftUri = "https://json-schema.org/draft/2020-12/schema";
    public const string BaseUri = "https://schemas.analytics.local/";

    private sealed record Contract(string Name, int Version, string Title, JsonTypeInfo TypeInfo, string? Discriminator);

    private static readonly Contract[] _contracts =
    [
        new("track-update", EventTypes.CurrentVersion.TrackUpdate, "Track update", AnalyticsJsonContext.Default.TrackUpdate, EventTypes.TrackUpdate),
        new("zone-hit", EventTypes.CurrentVersion.ZoneHit, "Zone hit", AnalyticsJsonContext.Default.ZoneHit, EventTypes.ZoneHit),
        new("affect-telemetry", EventTypes.CurrentVersion.AffectTelemetry, "Affect telemetry", AnalyticsJsonContext.Default.AffectTelemetry, EventTypes.AffectTelemetry),
        new("camera-heartbeat", EventTypes.CurrentVersion.CameraHeartbeat, "Camera heartbeat", AnalyticsJsonContext.Default.CameraHeartbeat, EventTypes.CameraHeartbeat),
        new("observation", 1, "Observation", AnalyticsJsonContext.Default.Observation, null),
        new("signal", EventTypes.CurrentVersion.Signal, "Signal", AnalyticsJsonContext.Default.Signal, null),
        new("incident", EventTypes.CurrentVersion.Incident, "Incident", AnalyticsJsonContext.Default.Incident, null),
        new("incident-event", EventTypes.CurrentVersion.IncidentEvent, "Incident event", AnalyticsJsonContext.Default.IncidentEvent, null),
        new("silence", 1, "Silence", AnalyticsJsonContext.Default.Silence, null),
        new("notification-rule", 1, "Notification rule", AnalyticsJsonContext.Default.NotificationRule, null),
        new("delivery", 1, "Delivery", AnalyticsJsonContext.Default.Delivery, null),
        new("notification-message", EventTypes.CurrentVersion.NotificationMessage, "Notification message", AnalyticsJsonContext.Default.NotificationMessage, null),
        new("site", 1, "Site", AnalyticsJsonContext.Default.Site, null),
        new("camera", 1, "Camera", AnalyticsJsonContext.Default.Camera, null),
        new("zone", 1, "Zone", AnalyticsJsonContext.Default.Zone, null),
        new("analytics-event", 1, "Analytics event", AnalyticsJsonContext.Default.AnalyticsEvent, null),
    ];

    /// <summary>
    /// Generates every schema, keyed by file name (e.g. <c>track-update.v1.schema.json</c>), as
    /// indented JSON with <c>\n</c> line endings and a trailing newline.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Generate()
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var contract in _contracts)
        {
            files.Add($"{contract.Name}.v{contract.Version.ToString(CultureInfo.InvariantCulture)}.schema.json", Write(Export(contract)));
        }

        return files;
    }

    private static JsonNode Export(Contract contract)
    {
        var exporterOptions = new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = (context, schema) => context.Path.IsEmpty && context.TypeInfo == contract.TypeInfo
                ? AddRootKeywords(contract, Annotate(context, schema))
                : Annotate(context, schema),
        };
        return contract.TypeInfo.GetJsonSchemaAsNode(exporterOptions);
    }

    private static JsonNode Annotate(JsonSchemaExporterContext context, JsonNode schema)
    {
        var type = context.TypeInfo.Type;
        var isTimestamp = type == typeof(DateTimeOffset) || type == typeof(DateTimeOffset?);
        // A payload is raw JSON to the serializer, but the platform only accepts objects. A
        // timestamp has a custom converter (Rfc3339), of which the exporter knows nothing.
        var node = type == typeof(JsonElement) ? new JsonObject { ["type"] = "object" }
            : type == typeof(TimeOnly) ? LocalTime()
            : isTimestamp ? Timestamp(nullable: type == typeof(DateTimeOffset?))
            : schema;
        if (node is not JsonObject keywords)
        {
            return node;
        }

        var property = context.PropertyInfo?.AttributeProvider;
        var description = Attribute<DescriptionAttribute>(property)?.Description
            ?? (context.PropertyInfo is null ? type.GetCustomAttribute<DescriptionAttribute>(inherit: false)?.Description : null);
        if (isTimestamp)
        {
            description = description is null ? Rfc3339.Description : $"{description} {Rfc3339.Description}";
        }
        if (description is not null)
        {
            keywords["description"] = description;
        }

        // A versioned contract's schema names the versions the platform reads, as the validator
        // does with SchemaVersionAttribute; the property alone cannot tell whose version it is.
        if (context.PropertyInfo is null && EventTypes.ContractName(type) is { } contractName
            && keywords["properties"]?["schemaVersion"] is JsonObject version)
        {
            version.Remove("minimum");
            version.Remove("maximum");
            version["enum"] = new JsonArray([.. EventTypes.SupportedVersions(contractName).Select(v => (JsonNode)JsonValue.Create(v))]);
        }

        if (property is null)
        {
            return keywords;
        }

        var isString = context.PropertyInfo!.PropertyType == typeof(string);
        if (Attribute<RangeAttribute>(property) is { } range)
        {
            if (!IsUnbounded(range.Minimum))
            {
                keywords[range.MinimumIsExclusive ? "exclusiveMinimum" : "minimum"] = Number(range.Minimum);
            }

            if (!IsUnbounded(range.Maximum))
            {
                keywords[range.MaximumIsExclusive ? "exclusiveMaximum" : "maximum"] = Number(range.Maximum);
            }
        }

        // An int on the wire is 32 bits: the serializer refuses more, so the schema says so.
        var propertyType = Nullable.GetUnderlyingType(context.PropertyInfo!.PropertyType) ?? context.PropertyInfo.PropertyType;
        if (propertyType == typeof(int) && !keywords.ContainsKey("enum"))
        {
            if (!keywords.ContainsKey("minimum") && !keywords.ContainsKey("exclusiveMinimum"))
            {
                keywords["minimum"] = int.MinValue;
            }
            if (!keywords.ContainsKey("maximum") && !keywords.ContainsKey("exclusiveMaximum"))
            {
                keywords["maximum"] = int.MaxValue;
            }
        }

        if (Attribute<MinLengthAttribute>(property) is { } minLength)
        {
            keywords[isString ? "minLength" : "minItems"] = minLength.Length;
        }

        if (Attribute<MaxLengthAttribute>(property) is { } maxLength)
        {
            keywords[isString ? "maxLength" : "maxItems"] = maxLength.Length;
        }

        if (Attribute<IdAttribute>(property) is not null)
        {
            if (isString)
            {
                AddIdKeywords(keywords);
            }
            else if (context.PropertyInfo.PropertyType is { IsGenericType: true } generic && generic.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>))
            {
                keywords["propertyNames"] = AddIdKeywords(new JsonObject());
            }
            else if (keywords["items"] is JsonObject items)
            {
                AddIdKeywords(items);
            }
        }

        if (Attribute<TextAttribute>(property) is { } text)
        {
            keywords["minLength"] = 1;
            keywords["maxLength"] = text.MaxLength;
            keywords["pattern"] = NotBlankPattern;
        }

        if (Attribute<PatternAttribute>(property) is { } pattern)
        {
            keywords["pattern"] = pattern.Pattern;
        }

        if (Attribute<AllowedValuesAttribute>(property) is { } allowed)
        {
            keywords["enum"] = new JsonArray([.. allowed.Values.Select(value => (JsonNode?)JsonValue.Create((string?)value))]);
        }

        if (type == typeof(Guid))
        {
            keywords["not"] = new JsonObject { ["const"] = Guid.Empty.ToString() };
        }

        if (Attribute<ZoneRuleNamesAttribute>(property) is not null)
        {
            keywords["items"] = new JsonObject
            {
                ["type"] = "string",
                ["enum"] = new JsonArray([.. RuleCatalog.ZoneRules.Select(rule => (JsonNode)JsonValue.Create(rule.Name))]),
            };
            keywords["uniqueItems"] = true;
        }

        return keywords;
    }

    /// <summary>
    /// At least one character that is not white space as <see cref="string.IsNullOrWhiteSpace"/>
    /// sees it. Spelled out because <c>\S</c> means another set to every engine: ECMA-262 counts
    /// U+FEFF and not U+0085, .NET's ECMAScript mode (JsonSchema.Net) only ASCII, .NET's default
    /// mode exactly <see cref="char.IsWhiteSpace(char)"/>.
    /// </summary>
    public const string NotBlankPattern = @"[^\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

    private static JsonObject AddIdKeywords(JsonObject keywords)
    {
        keywords["minLength"] = 1;
        keywords["maxLength"] = ContractLimits.MaxIdLength;
        keywords["pattern"] = NotBlankPattern;
        return keywords;
    }

    // Not "format": "time": that is RFC 3339's full-time, which needs an offset, and a local time
    // of day has none. This is the shape the serializer reads.
    private static JsonObject LocalTime() => new()
    {
        ["type"] = "string",
        ["pattern"] = @"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,7})?(?![\s\S])",
    };

    // "format": "date-time" is RFC 3339 already, but validators treat format as a note unless told
    // otherwise; the pattern makes every validator hold a timestamp to the shape ingest accepts.
    private static JsonObject Timestamp(bool nullable) => new()
    {
        ["type"] = nullable ? new JsonArray("string", "null") : "string",
        ["format"] = "date-time",
        ["pattern"] = Rfc3339.Pattern,
    };

    private static JsonObject AddRootKeywords(Contract contract, JsonNode schema)
    {
        var root = new JsonObject
        {
            ["$schema"] = DraftUri,
            ["$id"] = $"{BaseUri}{contract.Name}.v{contract.Version.ToString(CultureInfo.InvariantCulture)}.json",
            ["title"] = contract.Title,
        };
        var keywords = schema.AsObject();
        var existing = keywords.ToList();
        keywords.Clear();
        if (existing.Find(pair => pair.Key == "description").Value is { } description)
        {
            root["description"] = description;
        }

        foreach (var (name, value) in existing.Where(pair => pair.Key != "description"))
        {
            if (name == "properties" && contract.Discriminator is not null && value is JsonObject properties)
            {
                root[name] = WithDiscriminator(properties, contract.Discriminator);
            }
            else
            {
                root[name] = value;
            }
        }

        return root;
    }

    // A kind serialized on its own carries no discriminator, but inside an observation batch it
    // does; the standalone schema allows both.
    private static JsonObject WithDiscriminator(JsonObject properties, string discriminator)
    {
        var existing = properties.ToList();
        properties.Clear();
        var result = new JsonObject
        {
            ["type"] = new JsonObject
            {
                ["const"] = discriminator,
                ["description"] = "Observation kind; present when the object is sent as an observation.",
            },
        };
        foreach (var (name, value) in existing)
        {
            result[name] = value;
        }

        return result;
    }

    private static TAttribute? Attribute<TAttribute>(ICustomAttributeProvider? provider)
        where TAttribute : Attribute =>
        provider?.GetCustomAttributes(typeof(TAttribute), inherit: true).OfType<TAttribute>().FirstOrDefault();

    private static bool IsUnbounded(object bound) => bound is int.MaxValue or int.MinValue or double.MaxValue or double.MinValue;

    private static JsonValue Number(object bound) => bound switch
    {
        int whole => JsonValue.Create(whole),
        _ => JsonValue.Create(Convert.ToDouble(bound, CultureInfo.InvariantCulture)),
    };

    private static string Write(JsonNode schema)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Indented = true,
            NewLine = "\n",
            // Schemas are read by people; escaping '+' or '<' in descriptions only hurts them.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            schema.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }
}
