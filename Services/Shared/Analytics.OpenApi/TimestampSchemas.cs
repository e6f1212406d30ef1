using Analytics.Schemas.Serialization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Analytics.OpenApi;

/// <summary>
/// Timestamps in the OpenAPI document as the wire takes them. Their converter (<see cref="Rfc3339"/>)
/// is custom, so the document generator no longer knows them for strings: it left out the type,
/// and for a nullable one everything.
/// </summary>
internal static class TimestampSchemas
{
    public static OpenApiOptions AddTimestampSchemas(this OpenApiOptions options) => options.AddSchemaTransformer((schema, context, _) =>
    {
        var type = context.JsonTypeInfo.Type;
        if (type == typeof(DateTimeOffset) || type == typeof(DateTimeOffset?))
        {
            schema.Type = type == typeof(DateTimeOffset?) ? JsonSchemaType.String | JsonSchemaType.Null : JsonSchemaType.String;
            schema.Format = "date-time";
            schema.Pattern = Rfc3339.Pattern;
            schema.Description = schema.Description is null ? Rfc3339.Description : $"{schema.Description} {Rfc3339.Description}";
        }
        return Task.CompletedTask;
    });
}
