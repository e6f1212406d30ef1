using System.Text.Json;
using System.Text.Json.Serialization;

namespace Analytics.Schemas.Serialization;

/// <summary>
/// The one reading of a timestamp on the wire: an RFC 3339 date-time,
/// <c>YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)</c>, normalized to UTC.
/// </summary>
/// <remarks>
/// System.Text.Json's own reading takes any ISO 8601 form: a date alone, or a date-time without an
/// offset, which it places in the reading machine's zone, so the same body means another instant
/// on another server. Here the offset is required, and any offset is accepted (an edge device on
/// local time is not wrong, only explicit); the value is converted to UTC when read, so every
/// comparison, key and stored copy sees one form. Lowercase <c>t</c> and <c>z</c> are accepted, as
/// RFC 3339 allows; a space instead of <c>T</c> (which RFC 3339 only mentions as an option for
/// other applications) is not. A leap second (<c>:60</c>) and instants outside years 1 to 9999 in
/// UTC are refused: <see cref="DateTimeOffset"/> cannot hold them. Fraction digits past the
/// seventh (100 ns) are dropped, as System.Text.Json does; at most 16 are read.
/// </remarks>
public static class Rfc3339
{
    /// <summary>Why a timestamp was refused, in words an edge developer can act on.</summary>
    public const string Requirement = "must be an RFC 3339 date-time with Z or an offset, e.g. 2026-11-24T10:00:00Z";

    /// <summary>What the published schemas say of every timestamp.</summary>
    public const string Description =
        "An RFC 3339 date-time with Z or an offset (e.g. 2026-11-24T10:00:00Z or 2026-11-24T12:00:00+02:00); "
        + "an offset is converted to UTC when read, and the platform writes UTC.";

    /// <summary>The shape of what <see cref="TryParse(ReadOnlySpan{byte}, out DateTimeOffset)"/> accepts, for the published schemas; the calendar is checked in code.</summary>
    public const string Pattern = @"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,16})?([Zz]|[+-][0-9]{2}:[0-9]{2})$";

    private const int MaxFractionDigits = 16;

    /// <summary>The longest timestamp accepted: 19 characters of date and time, a fraction, an offset.</summary>
    public const int MaxLength = 19 + 1 + MaxFractionDigits + 6;

    /// <summary>Reads an RFC 3339 date-time from its UTF-8 bytes without allocating.</summary>
    /// <param name="utf8">The text, e.g. a JSON string's unescaped value.</param>
    /// <param name="value">The instant with offset zero; default when false is returned.</param>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out DateTimeOffset value) => TryParse(utf8, out value, out _);

    /// <inheritdoc cref="TryParse(ReadOnlySpan{byte}, out DateTimeOffset)"/>
    /// <param name="utf8">The text, e.g. a JSON string's unescaped value.</param>
    /// <param name="value">The instant with offset zero; default when false is returned.</param>
    /// <param name="offset">The offset the text was written with (zero for <c>Z</c>), before it was converted.</param>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out DateTimeOffset value, out TimeSpan offset)
    {
        value = default;
        offset = default;
        if (utf8.Length < 20 || utf8.Length > MaxLength
            || utf8[4] != '-' || utf8[7] != '-' || (utf8[10] | 0x20) != 't' || utf8[13] != ':' || utf8[16] != ':'
            || !TryDigits(utf8[..4], out var year) || !TryDigits(utf8[5..7], out var month) || !TryDigits(utf8[8..10], out var day)
            || !TryDigits(utf8[11..13], out var hour) || !TryDigits(utf8[14..16], out var minute) || !TryDigits(utf8[17..19], out var second)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var rest = utf8[19..];
        long fractionTicks = 0;
        if (rest[0] == '.')
        {
            var digits = 1;
            while (digits < rest.Length && IsDigit(rest[digits]))
            {
                digits++;
            }
            digits--;
            if (digits is 0 or > MaxFractionDigits)
            {
                return false;
            }
            // Ticks are 100 ns: the first seven digits, padded with zeros.
            for (var i = 1; i <= 7; i++)
            {
                fractionTicks = fractionTicks * 10 + (i <= digits ? rest[i] - '0' : 0);
            }
            rest = rest[(digits + 1)..];
        }

        long offsetTicks;
        if (rest.Length == 1 && (rest[0] | 0x20) == 'z')
        {
            offsetTicks = 0;
        }
        else if (rest.Length == 6 && rest[0] is (byte)'+' or (byte)'-' && rest[3] == ':'
            && TryDigits(rest[1..3], out var offsetHours) && TryDigits(rest[4..6], out var offsetMinutes)
            && offsetHours <= 23 && offsetMinutes <= 59)
        {
            offsetTicks = (offsetHours * TimeSpan.TicksPerHour + offsetMinutes * TimeSpan.TicksPerMinute) * (rest[0] == '-' ? -1 : 1);
        }
        else
        {
            return false;
        }

        var localTicks = new DateTime(year, month, day, hour, minute, second).Ticks + fractionTicks;
        var utcTicks = localTicks - offsetTicks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks)
        {
            return false;
        }
        value = new DateTimeOffset(utcTicks, TimeSpan.Zero);
        offset = new TimeSpan(offsetTicks);
        return true;
    }

    /// <summary>Reads the JSON string at the reader's position as an RFC 3339 date-time.</summary>
    /// <returns>False for any other token, or a string that is not such a date-time.</returns>
    public static bool TryRead(ref Utf8JsonReader reader, out DateTimeOffset value)
    {
        value = default;
        if (reader.TokenType != JsonTokenType.String)
        {
            return false;
        }
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            return TryParse(reader.ValueSpan, out value);
        }
        // An escape can only shorten the text, so anything longer than six times the limit is not a timestamp.
        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (length > MaxLength * 6)
        {
            return false;
        }
        Span<byte> unescaped = stackalloc byte[MaxLength * 6];
        var written = reader.CopyString(unescaped);
        return TryParse(unescaped[..written], out value);
    }

    /// <summary>Writes <paramref name="value"/> as System.Text.Json always has, in UTC (offset <c>+00:00</c>).</summary>
    public static void Write(Utf8JsonWriter writer, DateTimeOffset value) =>
        writer.WriteStringValue(value.Offset == TimeSpan.Zero ? value : value.ToUniversalTime());

    private static bool TryDigits(ReadOnlySpan<byte> digits, out int value)
    {
        value = 0;
        foreach (var digit in digits)
        {
            if (!IsDigit(digit))
            {
                return false;
            }
            value = value * 10 + (digit - '0');
        }
        return true;
    }

    private static bool IsDigit(byte c) => c is >= (byte)'0' and <= (byte)'9';
}

/// <summary>
/// Every <see cref="DateTimeOffset"/> the contracts read or write goes through <see cref="Rfc3339"/>;
/// registered for <see cref="AnalyticsJsonContext"/> and for every service's HTTP JSON.
/// </summary>
public sealed class Rfc3339DateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    /// <exception cref="JsonException">The value is not an RFC 3339 date-time; the serializer adds where it was.</exception>
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Rfc3339.TryRead(ref reader, out var value) ? value : throw new JsonException(Refusal(ref reader));

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => Rfc3339.Write(writer, value);

    private static string Refusal(ref Utf8JsonReader reader)
    {
        var kind = reader.TokenType switch
        {
            JsonTokenType.String => null,
            JsonTokenType.Number => "a number",
            JsonTokenType.True or JsonTokenType.False => "a boolean",
            JsonTokenType.Null => "null",
            JsonTokenType.StartObject => "an object",
            JsonTokenType.StartArray => "an array",
            _ => "not a string",
        };
        if (kind is not null)
        {
            return $"{Rfc3339.Requirement}, was {kind}";
        }
        string text;
        try
        {
            text = reader.GetString() ?? "";
        }
        catch (InvalidOperationException)
        {
            return $"{Rfc3339.Requirement}, was not valid UTF-8";
        }
        // Echo enough to recognize the value, not a whole body pasted into a field.
        return text.Length <= 64 ? $"{Rfc3339.Requirement}, was \"{text}\"" : $"{Rfc3339.Requirement}, was \"{text[..64]}...\"";
    }
}
