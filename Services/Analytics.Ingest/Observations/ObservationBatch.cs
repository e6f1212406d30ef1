using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;

namespace Analytics.Ingest.Observations;

/// <summary>
/// A request body read as observations. <see cref="Verbatim"/> holds, for each observation, where
/// its JSON lies in the body when that JSON can be stored as sent (an empty range when it must be
/// written again by the serializer); those ranges point into the body, so it must outlive them.
/// </summary>
public sealed partial record ObservationBatch(IReadOnlyList<Observation> Observations, IReadOnlyList<Range> Verbatim, IReadOnlyList<ObservationProblem> Problems)
{
    // The decoder's string table is its own, and parsing never awaits, so one per thread will do.
    [ThreadStatic]
    private static ObservationDecoder? t_decoder;

    private static ObservationDecoder Decoder => t_decoder ??= new ObservationDecoder();

    /// <summary>A JSON array of observations.</summary>
    /// <remarks>
    /// Items in their usual shape are read by <see cref="ObservationDecoder"/> and kept as sent;
    /// other items by the contract's serializer. Whenever anything is wrong, the whole body is read
    /// again by the serializer alone, so a refusal names exactly what it always named.
    /// </remarks>
    public static ObservationBatch ReadArray(ReadOnlySpan<byte> body) => TryReadArrayItems(body) ?? ReadArrayWhole(body);

    /// <summary>One observation per line; blank lines are ignored.</summary>
    public static ObservationBatch ReadNdjson(ReadOnlySpan<byte> body)
    {
        var observations = new List<Observation>();
        var verbatim = new List<Range>();
        var problems = new List<ObservationProblem>();
        var rest = body;
        var offset = 0;
        var index = 0;
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            var lineStart = offset;
            rest = end < 0 ? [] : rest[(end + 1)..];
            offset += line.Length + 1;
            if (line.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }
            try
            {
                if (TryReadLine(line) is { } fast)
                {
                    observations.Add(fast);
                    verbatim.Add(Kept(line, lineStart));
                }
                else if (AnalyticsJson.Deserialize(line, AnalyticsJsonContext.Default.Observation) is { } observation)
                {
                    observations.Add(observation);
                    verbatim.Add(default);
                }
                else
                {
                    problems.Add(new ObservationProblem(index, $"$[{index}]", "must be an observation, not null"));
                }
            }
            catch (JsonException e)
            {
                problems.Add(FromJsonException(e, index));
            }
            index++;
        }
        return new(observations, verbatim, problems);
    }

    /// <summary>The item index a contract validation path such as <c>$[3].box.x</c> points at.</summary>
    public static int? IndexOf(string path) =>
        ItemIndex().Match(path) is { Success: true } match ? int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : null;

    private static ObservationBatch? TryReadArrayItems(ReadOnlySpan<byte> body)
    {
        var observations = new List<Observation>();
        var verbatim = new List<Range>();
        var reader = new Utf8JsonReader(body);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                var start = (int)reader.TokenStartIndex;
                var atItem = reader;
                if (Decoder.TryRead(ref reader) is { } fast)
                {
                    observations.Add(fast);
                    verbatim.Add(Kept(body[start..(int)reader.BytesConsumed], start));
                    continue;
                }
                // Not the usual shape (a zone hit, say): the serializer reads this item alone.
                reader = atItem;
                reader.Skip();
                var item = body[start..(int)reader.BytesConsumed];
                observations.Add(AnalyticsJson.Deserialize(item, AnalyticsJsonContext.Default.Observation) ?? throw new JsonException("null item"));
                verbatim.Add(default);
            }
            return reader.TokenType == JsonTokenType.EndArray && !reader.Read() ? new(observations, verbatim, []) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ObservationBatch ReadArrayWhole(ReadOnlySpan<byte> body)
    {
        try
        {
            var items = AnalyticsJson.Deserialize(body, AnalyticsJsonContext.Default.ObservationArray);
            if (items is null)
            {
                return new([], [], [new ObservationProblem(null, "$", "expected a JSON array of observations, got null")]);
            }
            var nulls = items.Select((o, i) => (o, i)).Where(x => x.o is null).Select(x => new ObservationProblem(x.i, $"$[{x.i}]", "must be an observation, not null")).ToList();
            return new(items, new Range[items.Length], nulls);
        }
        catch (JsonException e)
        {
            return new([], [], [FromJsonException(e, index: null)]);
        }
    }

    /// <summary>The line read fast, or null; a malformed line too, so the serializer names its problem.</summary>
    private static Observation? TryReadLine(ReadOnlySpan<byte> line)
    {
        try
        {
            return Decoder.TryReadWhole(line);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Where <paramref name="json"/> (starting at <paramref name="start"/> in the body) lies, if it is
    /// compact enough to store as sent: an item laid out over lines and indents is written again.
    /// </summary>
    private static Range Kept(ReadOnlySpan<byte> json, int start) =>
        json.IndexOfAny(" \t\r\n"u8) < 0 ? new Range(start, start + json.Length) : default;

    private static ObservationProblem FromJsonException(JsonException e, int? index)
    {
        // The serializer's path is relative to what it read: the array, or one NDJSON line.
        var path = e.Path ?? "$";
        if (index is not null)
        {
            path = "$[" + index.Value.ToString(CultureInfo.InvariantCulture) + "]" + path.TrimStart('$');
        }
        var where = e.LineNumber is long line && index is null ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
        return new ObservationProblem(index ?? IndexOf(path), path, AnalyticsJson.Reason(e.Message) + where);
    }


    [GeneratedRegex(@"^\$\[(\d+)\]")]
    private static partial Regex ItemIndex();
}
