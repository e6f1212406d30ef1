using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Analytics.Schemas.Contracts;

namespace Analytics.Schemas.Serialization;

/// <summary>
/// Source-generated serialization for every contract, so all services read and write the same
/// wire format without reflection.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    // Web defaults read numbers from strings, which would let "NaN" and "Infinity" through.
    NumberHandling = JsonNumberHandling.Strict,
    // Producers in other languages do not always write the discriminator first.
    AllowOutOfOrderMetadataProperties = true,
    // A null or missing value for a non-nullable member is a broken producer; fail at the edge.
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    // Timestamps are RFC 3339 with an offset, read as UTC; the built-in reading takes any ISO 8601
    // form and puts a bare date or an offset-less time in the server's zone.
    Converters = [typeof(Rfc3339DateTimeOffsetConverter)])]
[JsonSerializable(typeof(Observation))]
[JsonSerializable(typeof(TrackUpdate))]
[JsonSerializable(typeof(ZoneHit))]
[JsonSerializable(typeof(AffectTelemetry))]
[JsonSerializable(typeof(CameraHeartbeat))]
[JsonSerializable(typeof(CameraIdle))]
[JsonSerializable(typeof(IReadOnlyList<Observation>))]
[JsonSerializable(typeof(Observation[]))]
[JsonSerializable(typeof(BoundingBox))]
[JsonSerializable(typeof(Signal))]
[JsonSerializable(typeof(IReadOnlyList<Signal>))]
[JsonSerializable(typeof(Evidence))]
[JsonSerializable(typeof(EvidenceBox))]
[JsonSerializable(typeof(Incident))]
[JsonSerializable(typeof(IReadOnlyList<Incident>))]
[JsonSerializable(typeof(TraceContext))]
[JsonSerializable(typeof(AnalyticsEvent))]
[JsonSerializable(typeof(IReadOnlyList<AnalyticsEvent>))]
[JsonSerializable(typeof(IncidentEvent))]
[JsonSerializable(typeof(IReadOnlyList<IncidentEvent>))]
[JsonSerializable(typeof(Silence))]
[JsonSerializable(typeof(IReadOnlyList<Silence>))]
[JsonSerializable(typeof(NotificationRule))]
[JsonSerializable(typeof(IReadOnlyList<NotificationRule>))]
[JsonSerializable(typeof(Delivery))]
[JsonSerializable(typeof(IReadOnlyList<Delivery>))]
[JsonSerializable(typeof(IReadOnlyList<DeliveryAttempt>))]
[JsonSerializable(typeof(NotificationMessage))]
[JsonSerializable(typeof(NotificationDigest))]
[JsonSerializable(typeof(IReadOnlyList<DigestItem>))]
[JsonSerializable(typeof(Site))]
[JsonSerializable(typeof(Site[]))]
[JsonSerializable(typeof(Camera))]
[JsonSerializable(typeof(Camera[]))]
[JsonSerializable(typeof(Zone))]
[JsonSerializable(typeof(IReadOnlyList<Zone>))]
[JsonSerializable(typeof(Point))]
[JsonSerializable(typeof(ActiveHours))]
[JsonSerializable(typeof(ValidationProblem))]
[JsonSerializable(typeof(IReadOnlyList<ValidationProblem>))]
[JsonSerializable(typeof(ValidationProblem[]))]
public sealed partial class AnalyticsJsonContext : JsonSerializerContext;

/// <summary>The one place services get their JSON settings from.</summary>
public static class AnalyticsJson
{
    public static JsonSerializerOptions Options => AnalyticsJsonContext.Default.Options;

    public static AnalyticsJsonContext Context => AnalyticsJsonContext.Default;

    /// <summary>
    /// A serializer message without the " Path: $.x | LineNumber: ..." it ends in, for an answer
    /// that gives the path in a field of its own.
    /// </summary>
    public static string Reason(string message)
    {
        var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        }
        return cut > 0 ? message[..cut].TrimEnd() : message;
    }

    // The serializer throws NotSupportedException, not JsonException, when an observation lacks its
    // type discriminator; these overloads turn every malformed input into JsonException so callers
    // answer it as a bad request rather than a server error.

    /// <summary>Reads JSON with the contract settings; malformed input always throws <see cref="JsonException"/>.</summary>
    public static T? Deserialize<T>(ReadOnlySpan<byte> utf8Json, JsonTypeInfo<T> typeInfo)
    {
        try
        {
            return JsonSerializer.Deserialize(utf8Json, typeInfo);
        }
        catch (NotSupportedException exception)
        {
            throw new JsonException(exception.Message, exception);
        }
    }

    /// <inheritdoc cref="Deserialize{T}(ReadOnlySpan{byte}, JsonTypeInfo{T})"/>
    public static T? Deserialize<T>(string json, JsonTypeInfo<T> typeInfo)
    {
        try
        {
            return JsonSerializer.Deserialize(json, typeInfo);
        }
        catch (NotSupportedException exception)
        {
            throw new JsonException(exception.Message, exception);
        }
    }

    /// <inheritdoc cref="Deserialize{T}(ReadOnlySpan{byte}, JsonTypeInfo{T})"/>
    public static async ValueTask<T?> DeserializeAsync<T>(Stream utf8Json, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(utf8Json, typeInfo, cancellationToken);
        }
        catch (NotSupportedException exception)
        {
            throw new JsonException(exception.Message, exception);
        }
    }
}
