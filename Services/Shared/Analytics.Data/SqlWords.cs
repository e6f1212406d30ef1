using Analytics.Schemas.Contracts;

namespace Analytics.Data;

/// <summary>
/// Enum values as SQL literals. Status and kind columns hold the enums' wire names
/// (<see cref="Wire.Name"/>); queries that filter on them by a fixed value spell that value
/// through here instead of repeating the word, so renaming a wire name cannot leave a query behind.
/// Literals, not parameters, where a partial index's predicate names them: the planner matches a
/// partial index only against constants.
/// </summary>
internal static class SqlWords
{
    /// <summary>One value, quoted: <c>'resolved'</c>.</summary>
    public static string Literal<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        // Wire names are identifiers from our own enums; quoting them is enough.
        "'" + Wire.Name(value).Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>A parenthesized list for <c>IN</c>: <c>('pending', 'retrying')</c>.</summary>
    public static string List<TEnum>(params ReadOnlySpan<TEnum> values)
        where TEnum : struct, Enum
    {
        var literals = new string[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            literals[i] = Literal(values[i]);
        }
        return "(" + string.Join(", ", literals) + ")";
    }

    /// <summary>The wire name of a nullable value, or null.</summary>
    public static string? NameOrNull<TEnum>(TEnum? value)
        where TEnum : struct, Enum =>
        value is { } v ? Wire.Name(v) : null;
}
