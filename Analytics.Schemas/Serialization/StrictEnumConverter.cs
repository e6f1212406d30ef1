using System.Text.Json.Serialization;

namespace Analytics.Schemas.Serialization;

/// <summary>
/// Enums travel as their camelCase names only. Integers are refused because their meaning would
/// silently change if members were ever reordered.
/// </summary>
public sealed class StrictEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(namingPolicy: null, allowIntegerValues: false)
    where TEnum : struct, Enum;
