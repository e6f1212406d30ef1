using System.Text.Json;
using System.Text.Json.Serialization;
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
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(Observation))]
[JsonSerializable(typeof(TrackUpdate))]
[JsonSerializable(typeof(ZoneHit))]
[JsonSerializable(typeof(AffectTelemetry))]
[JsonSerializable(typeof(IReadOnlyList<Observation>))]
[JsonSerializable(typeof(Observation[]))]
[JsonSerializable(typeof(BoundingBox))]
[JsonSerializable(typeof(Signal))]
[JsonSerializable(typeof(IReadOnlyList<Signal>))]
[JsonSerializable(typeof(Evidence))]
[JsonSerializable(typeof(Incident))]
[JsonSerializable(typeof(IReadOnlyList<Incident>))]
[JsonSerializable(typeof(TraceContext))]
[JsonSerializable(typeof(AnalyticsEvent))]
[JsonSerializable(typeof(IReadOnlyList<AnalyticsEvent>))]
[JsonSerializable(typeof(ValidationProblem))]
[JsonSerializable(typeof(IReadOnlyList<ValidationProblem>))]
[JsonSerializable(typeof(ValidationProblem[]))]
public sealed partial class AnalyticsJsonContext : JsonSerializerContext;

/// <summary>The one place services get their JSON settings from.</summary>
public static class AnalyticsJson
{
    public static JsonSerializerOptions Options => AnalyticsJsonContext.Default.Options;

    public static AnalyticsJsonContext Context => AnalyticsJsonContext.Default;
}
