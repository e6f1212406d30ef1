using System.Globalization;
using Analytics.Schemas.Contracts;
using ValidationProblem = Analytics.Schemas.Contracts.ValidationProblem;

namespace Analytics.Api;

/// <summary>
/// The query parameters every list endpoint reads the same way. Each reader adds its problem to
/// the caller's list instead of failing, so one 400 names every bad parameter at once.
/// </summary>
internal static class ListQuery
{
    /// <summary>An enum filter given by its wire name, or null when <paramref name="value"/> is absent or invalid.</summary>
    public static TEnum? Filter<TEnum>(string? value, string name, List<ValidationProblem> errors)
        where TEnum : struct, Enum
    {
        if (value is null)
        {
            return null;
        }
        try
        {
            return Wire.Parse<TEnum>(value);
        }
        catch (FormatException)
        {
            errors.Add(new ValidationProblem($"$.{name}",
                $"must be one of {string.Join(", ", Enum.GetValues<TEnum>().Select(v => Wire.Name(v)))}, was '{value}'"));
            return null;
        }
    }

    /// <summary>The page size (<c>limit</c>, 1 to <paramref name="maxLimit"/>) and where the page starts (<c>cursor</c>).</summary>
    public static (int Size, KeysetCursor? After) Page(int? limit, string? cursor, int defaultLimit, int maxLimit, List<ValidationProblem> errors)
    {
        var size = limit ?? defaultLimit;
        if (size < 1 || size > maxLimit)
        {
            errors.Add(new ValidationProblem("$.limit", string.Create(CultureInfo.InvariantCulture, $"must be between 1 and {maxLimit}, was {size}")));
        }
        var after = cursor is null ? null : KeysetCursor.Parse(cursor);
        if (cursor is not null && after is null)
        {
            errors.Add(new ValidationProblem("$.cursor", "is not a cursor this API returned"));
        }
        return (size, after);
    }
}
