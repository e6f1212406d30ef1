using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Serialization;

namespace Analytics.Schemas.Contracts;

/// <summary>
/// Enum values as the wire contracts spell them (their <see cref="JsonStringEnumMemberNameAttribute"/>),
/// so database columns hold the same words as the JSON the API returns.
/// </summary>
public static class Wire
{
    private static readonly ConcurrentDictionary<Enum, string> Names = new();

    public static string Name<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        Names.GetOrAdd(value, static v =>
            v.GetType().GetField(v.ToString())?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? v.ToString());

    /// <exception cref="FormatException">No member of <typeparamref name="TEnum"/> has that wire name.</exception>
    public static TEnum Parse<TEnum>(string name)
        where TEnum : struct, Enum =>
        ByName<TEnum>.Values.TryGetValue(name, out var value) ? value : throw new FormatException($"'{name}' is not a {typeof(TEnum).Name}");

    // Built once per enum: fusion parses a few values of every signal it reads.
    private static class ByName<TEnum>
        where TEnum : struct, Enum
    {
        public static readonly Dictionary<string, TEnum> Values = Enum.GetValues<TEnum>().ToDictionary(v => Name(v), StringComparer.Ordinal);
    }
}
