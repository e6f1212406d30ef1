using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Analytics.EventLog;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Analytics.Schemas.Settings;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Ingest.Observations;

/// <summary>What a committed batch is answered with.</summary>
public sealed record IngestAccepted(int Accepted);

/// <summary>One reason a batch was refused, for the edge developer who has to fix it.</summary>
public sealed record ObservationProblem(int? Index, string Path, string Reason);

/// <summary>
/// <c>POST /v1/observations</c>: a batch of observations from an edge tracker, as a JSON array or
/// as NDJSON. The batch is taken whole or not at all, and a 2xx answer means it is committed.
/// </summary>
public static partial class ObservationsApi
{
    public const string NdjsonMediaType = "application/x-ndjson";

    public static IEndpointRouteBuilder MapObservationsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/observations", IngestAsync)
            .RequireAuthorization()
            .WithName("IngestObservations")
            .WithSummary("Append a batch of track updates, zone hits and affect telemetry")
            .Accepts<Observation[]>("application/json", NdjsonMediaType)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static async Task<Results<Ok<IngestAccepted>, ProblemHttpResult>> IngestAsync(
        HttpContext context, ObservationWriter writer, IOptions<IngestSettings> options, TimeProvider clock)
    {
        var settings = options.Value;
        var orgId = context.User.OrgId();

        if (context.Request.ContentLength > settings.MaxBodyBytes)
        {
            return TooLarge($"The body has {context.Request.ContentLength} bytes; at most {settings.MaxBodyBytes} are accepted.");
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = settings.MaxBodyBytes;
        }

        byte[] body;
        int length;
        try
        {
            (body, length) = await ReadBodyAsync(context.Request, context.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge($"The body exceeds {settings.MaxBodyBytes} bytes.");
        }

        Parsed parsed;
        try
        {
            parsed = IsNdjson(context.Request.ContentType) ? ParseNdjson(body.AsSpan(0, length)) : ParseArray(body.AsSpan(0, length));
        }
        finally
        {
            // Nothing parsed refers to the bytes: strings and numbers are copied out.
            ArrayPool<byte>.Shared.Return(body);
        }
        if (parsed.Problems.Count > 0)
        {
            return Rejected("malformed", parsed.Problems);
        }
        var observations = parsed.Observations;
        if (observations.Count > settings.MaxItemsPerBatch)
        {
            return TooLarge($"The batch has {observations.Count} observations; at most {settings.MaxItemsPerBatch} are accepted.");
        }
        if (observations.Count == 0)
        {
            return Rejected("empty", [new ObservationProblem(null, "$", "the batch holds no observations")]);
        }

        var invalid = ContractValidator.Validate(observations, clock, TimeSpan.FromSeconds(settings.MaxClockSkewSeconds));
        if (invalid.Count > 0)
        {
            return Rejected("invalid", [.. invalid.Select(p => new ObservationProblem(IndexOf(p.Path), p.Path, p.Message))]);
        }

        // Each payload is serialized again from its item in the body, so the body's size is theirs.
        using var rows = ToRows(orgId, observations, clock, payloadBytes: length);
        try
        {
            await writer.WriteAsync(rows, CamerasOf(orgId, observations));
        }
        catch (WriteQueueFullException)
        {
            return Unavailable(context, retryAfterSeconds: 1, "Ingest is at capacity; nothing of this batch was stored.");
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return Unavailable(context, retryAfterSeconds: 2, "The database did not commit the batch; nothing of it was stored.");
        }
        return TypedResults.Ok(new IngestAccepted(observations.Count));
    }

    /// <summary>
    /// The body in a pooled buffer. Batches are hundreds of kilobytes: a fresh array for each (and
    /// a growing stream before it) would land on the large object heap and cost a full collection
    /// every few requests. Kestrel stops a body past the limit set above.
    /// </summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(request.ContentLength ?? 0, 4096, int.MaxValue - 1) + 1);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    return (buffer, length);
                }
                length += read;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static LogRows ToRows(string orgId, IReadOnlyList<Observation> observations, TimeProvider clock, int payloadBytes)
    {
        // Every stored event keeps the trace of the request that brought it, so the way from
        // ingest to signal (and on to incident and notification) shows as one trace.
        var activity = Activity.Current;
        var traceParent = activity?.IdFormat == ActivityIdFormat.W3C ? activity.Id : null;
        var traceState = activity?.TraceStateString;
        var ids = new Guid[observations.Count];
        LogRows.CreateIds(ids, clock.GetUtcNow());
        var rows = new LogRows(observations.Count, payloadBytes);
        try
        {
            for (var i = 0; i < observations.Count; i++)
            {
                var observation = observations[i];
                rows.Add(
                    ids[i], orgId, EventTypes.Of(observation), observation.SchemaVersion, observation.CameraId, observation.OccurredAt,
                    traceParent, traceState, observation, AnalyticsJsonContext.Default.Observation);
            }
            return rows;
        }
        catch
        {
            rows.Dispose();
            throw;
        }
    }

    private static HashSet<(string OrgId, string CameraId)> CamerasOf(string orgId, IReadOnlyList<Observation> observations) =>
        observations.Select(observation => (orgId, observation.CameraId)).ToHashSet();

    private sealed record Parsed(IReadOnlyList<Observation> Observations, IReadOnlyList<ObservationProblem> Problems);

    private static Parsed ParseArray(ReadOnlySpan<byte> body)
    {
        try
        {
            var items = AnalyticsJson.Deserialize(body, AnalyticsJsonContext.Default.ObservationArray);
            if (items is null)
            {
                return new([], [new ObservationProblem(null, "$", "expected a JSON array of observations, got null")]);
            }
            var nulls = items.Select((o, i) => (o, i)).Where(x => x.o is null).Select(x => new ObservationProblem(x.i, $"$[{x.i}]", "must be an observation, not null")).ToList();
            return new(items, nulls);
        }
        catch (JsonException e)
        {
            return new([], [FromJsonException(e, index: null)]);
        }
    }

    /// <summary>One observation per line; blank lines are ignored.</summary>
    private static Parsed ParseNdjson(ReadOnlySpan<byte> body)
    {
        var observations = new List<Observation>();
        var problems = new List<ObservationProblem>();
        var rest = body;
        var index = 0;
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            if (line.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }
            try
            {
                var observation = AnalyticsJson.Deserialize(line, AnalyticsJsonContext.Default.Observation);
                if (observation is null)
                {
                    problems.Add(new ObservationProblem(index, $"$[{index}]", "must be an observation, not null"));
                }
                else
                {
                    observations.Add(observation);
                }
            }
            catch (JsonException e)
            {
                problems.Add(FromJsonException(e, index));
            }
            index++;
        }
        return new(observations, problems);
    }

    private static ObservationProblem FromJsonException(JsonException e, int? index)
    {
        // The serializer's path is relative to what it read: the array, or one NDJSON line.
        var path = e.Path ?? "$";
        if (index is not null)
        {
            path = "$[" + index.Value.ToString(CultureInfo.InvariantCulture) + "]" + path.TrimStart('$');
        }
        var where = e.LineNumber is long line && index is null ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
        return new ObservationProblem(index ?? IndexOf(path), path, FirstSentence(e.Message) + where);
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static int? IndexOf(string path) =>
        ItemIndex().Match(path) is { Success: true } match ? int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : null;

    [GeneratedRegex(@"^\$\[(\d+)\]")]
    private static partial Regex ItemIndex();

    private static bool IsNdjson(string? contentType) =>
        contentType is not null && contentType.StartsWith(NdjsonMediaType, StringComparison.OrdinalIgnoreCase);

    private static ProblemHttpResult Rejected(string reason, IReadOnlyList<ObservationProblem> problems)
    {
        IngestMetrics.RejectedBatches.Add(1, new KeyValuePair<string, object?>("reason", reason));
        return TypedResults.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: "The batch was refused; nothing of it was stored",
            detail: $"{problems.Count} problem(s); fix them and send the whole batch again.",
            extensions: new Dictionary<string, object?> { ["errors"] = problems });
    }

    private static ProblemHttpResult TooLarge(string detail)
    {
        IngestMetrics.RejectedBatches.Add(1, new KeyValuePair<string, object?>("reason", "too_large"));
        return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "The batch is too large; nothing of it was stored", detail: detail);
    }

    private static ProblemHttpResult Unavailable(HttpContext context, int retryAfterSeconds, string detail)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Try again shortly", detail: detail);
    }
}
