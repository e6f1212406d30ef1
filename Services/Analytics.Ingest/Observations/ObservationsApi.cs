using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Analytics.EventLog;
using Analytics.OpenApi;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Analytics.Data.Ingest;

namespace Analytics.Ingest.Observations;

/// <summary>What a committed batch is answered with.</summary>
public sealed record IngestAccepted(int Accepted);

/// <summary>One reason a batch was refused, for the edge developer who has to fix it.</summary>
public sealed record ObservationProblem(int? Index, string Path, string Reason);

/// <summary>
/// <c>POST /v1/observations</c>: a batch of observations from an edge tracker, as a JSON array or
/// as NDJSON. The batch is taken whole or not at all, and a 2xx answer means it is committed.
/// With an <c>Idempotency-Key</c> header, a batch sent again after it was committed is answered as
/// the first time and not stored again (<see cref="IdempotencyKeys"/>).
/// </summary>
public static class ObservationsApi
{
    public const string NdjsonMediaType = "application/x-ndjson";

    public static IEndpointRouteBuilder MapObservationsApi(this IEndpointRouteBuilder app)
    {
        // 400 and 413 come with every operation that takes a body, 401, 403 and 429 with every
        // authenticated one (PlatformResponses).
        app.MapPost("/v1/observations", IngestAsync)
            .RequirePermission(Permission.Ingest, Reach.Organization)
            .WithTag("Observations", "What edge trackers see, sent in batches and appended to the observation log that the rule services read.")
            .WithName("IngestObservations")
            .WithSummary("Append a batch of track updates, zone hits and affect telemetry")
            .Accepts<Observation[]>("application/json", NdjsonMediaType)
            // The handler reads the header itself (it must refuse two of them), so the document is told.
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = IdempotencyKeys.HeaderName,
                    In = ParameterLocation.Header,
                    Description = "Makes sending the batch again safe: a batch sent again with the same key and the same bytes after it was committed " +
                        "is answered as the first time (with `Idempotent-Replayed: true`) and not stored again. A UUID is a good key.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = IdempotencyKeys.MaxKeyLength, Pattern = IdempotencyKeys.Pattern },
                });
                return Task.CompletedTask;
            })
            .WithProblem(StatusCodes.Status403Forbidden,
                "The key's scopes or the user's role do not allow sending observations, or the batch holds affect telemetry and the organization has not " +
                "opted into education (`setting`: `educationEnabled`); nothing of the batch was stored.")
            .WithProblem(StatusCodes.Status413PayloadTooLarge,
                "The body is over `Ingest:MaxBodyBytes` or the batch over `Ingest:MaxItemsPerBatch` observations; nothing of it was stored. Send smaller batches.")
            .WithProblem(StatusCodes.Status422UnprocessableEntity,
                "The `Idempotency-Key` was used for a batch with another body; nothing of this one was stored. Send it with a new key.")
            .ProducesProblem(StatusCodes.Status500InternalServerError)
            .WithProblem(StatusCodes.Status503ServiceUnavailable,
                "Ingest is at capacity or the database did not commit; nothing of the batch was stored. Send it again after `Retry-After` seconds.");
        return app;
    }

    public static async Task<Results<Ok<IngestAccepted>, ContentHttpResult, ProblemHttpResult>> IngestAsync(
        HttpContext context, ObservationWriter writer, SubjectKeySecrets subjectKeySecrets, EducationOptIns educationOptIns,
        IOptions<IngestSettings> options, IOptions<JsonOptions> json, TimeProvider clock)
    {
        var settings = options.Value;
        var orgId = context.User.OrgId();

        string? idempotencyKey = null;
        if (context.Request.Headers.TryGetValue(IdempotencyKeys.HeaderName, out var keyHeader))
        {
            if (keyHeader.Count != 1)
            {
                return BadIdempotencyKey($"Send one {IdempotencyKeys.HeaderName} header; the request has {keyHeader.Count}.");
            }
            if (IdempotencyKeys.Problem(keyHeader[0]!) is { } keyProblem)
            {
                return BadIdempotencyKey(keyProblem);
            }
            idempotencyKey = keyHeader[0];
        }

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

        LogRows rows;
        Dictionary<(string OrgId, string CameraId), DateTimeOffset> cameras;
        byte[]? requestHash;
        try
        {
            var items = body.AsSpan(0, length);
            var batch = IsNdjson(context.Request.ContentType) ? ObservationBatch.ReadNdjson(items) : ObservationBatch.ReadArray(items);
            if (batch.Problems.Count > 0)
            {
                return Rejected("malformed", batch.Problems);
            }
            var observations = batch.Observations;
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
                return Rejected("invalid", [.. invalid.Select(p => new ObservationProblem(ObservationBatch.IndexOf(p.Path), p.Path, p.Message))]);
            }

            // Affect telemetry only from an organization whose owner has turned education on.
            try
            {
                if (observations.Any(o => o is AffectTelemetry) && !await educationOptIns.IsEnabledAsync(orgId, context.RequestAborted))
                {
                    IngestMetrics.RejectedBatches.Add(1, new KeyValuePair<string, object?>("reason", "education_not_enabled"));
                    return TypedResults.Problem(
                        statusCode: StatusCodes.Status403Forbidden,
                        title: "Education is not enabled for your organization; nothing of the batch was stored",
                        detail: $"The batch holds affect telemetry, which is refused until an owner of your organization turns the education domain on " +
                            $"(setting '{EducationOptIns.SettingName}': PUT /v1/organization/settings {{\"{EducationOptIns.SettingName}\": true}} on the API). " +
                            "Send the other observations in batches without it.",
                        extensions: new Dictionary<string, object?> { ["setting"] = EducationOptIns.SettingName });
                }
            }
            catch (Exception e) when (TransientFaults.IsTransient(e))
            {
                return Unavailable(context, retryAfterSeconds: 2, "The database could not say whether your organization has opted into education; nothing of this batch was stored.");
            }

            // Subject keys are never stored: the batch's affect samples are written with pseudonyms
            // under their days' secrets, and without those secrets nothing of the batch is written.
            BatchSubjectSecrets? subjectSecrets;
            try
            {
                subjectSecrets = await subjectKeySecrets.ForBatchAsync(orgId, observations, context.RequestAborted);
            }
            catch (Exception e) when (TransientFaults.IsTransient(e))
            {
                return Unavailable(context, retryAfterSeconds: 2, "The database could not provide the subject key secret; nothing of this batch was stored.");
            }

            // Sliced again: a span does not live across the await above.
            rows = ToRows(orgId, batch, body.AsSpan(0, length), subjectSecrets, clock);
            // Only a keyed batch that will be stored is hashed: a repeat must be the same bytes,
            // whatever their meaning; a refused batch claims no key.
            requestHash = idempotencyKey is null ? null : SHA256.HashData(body.AsSpan(0, length));
            cameras = CamerasOf(orgId, observations);
        }
        finally
        {
            // The rows hold copies of what they took from the body.
            ArrayPool<byte>.Shared.Return(body);
        }

        using (rows)
        {
            var accepted = new IngestAccepted(rows.Count);
            // The answer is stored with the key in the batch's own transaction, serialized as the
            // framework serializes the 200 below, so a repeat gets the same bytes.
            var claim = idempotencyKey is null ? null : new IdempotencyClaim(
                orgId, idempotencyKey, requestHash!, StatusCodes.Status200OK, JsonSerializer.SerializeToUtf8Bytes(accepted, json.Value.SerializerOptions));
            StoredAnswer? stored;
            try
            {
                stored = await writer.WriteAsync(orgId, rows, cameras, claim);
            }
            catch (WriteQueueFullException)
            {
                return Unavailable(context, retryAfterSeconds: 1, "Ingest is at capacity; nothing of this batch was stored.");
            }
            // Anything else is a bug, not worth a retry: it reaches the exception handler, which
            // logs it as an error and answers 500 problem+json with the trace id to report.
            catch (Exception e) when (TransientFaults.IsTransient(e))
            {
                return Unavailable(context, retryAfterSeconds: 2, "The database did not commit the batch; nothing of it was stored.");
            }
            if (stored is null)
            {
                return TypedResults.Ok(accepted);
            }
            if (!CryptographicOperations.FixedTimeEquals(stored.RequestHash, requestHash))
            {
                IngestMetrics.RejectedBatches.Add(1, new KeyValuePair<string, object?>("reason", "idempotency_key_reused"));
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status422UnprocessableEntity,
                    title: "The Idempotency-Key belongs to another batch; nothing of this one was stored",
                    detail: $"A batch with a different body was committed under this {IdempotencyKeys.HeaderName}. Send a new batch with a new key; send a batch again only with its own key and the same bytes.");
            }
            IngestMetrics.Replayed.Add(1);
            context.Response.Headers["Idempotent-Replayed"] = "true";
            return TypedResults.Text(Encoding.UTF8.GetString(stored.ResponseBody), "application/json", Encoding.UTF8, stored.StatusCode);
        }
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

    private static LogRows ToRows(string orgId, ObservationBatch batch, ReadOnlySpan<byte> body, BatchSubjectSecrets? subjectSecrets, TimeProvider clock)
    {
        // Every stored event keeps the trace of the request that brought it, so the way from
        // ingest to signal (and on to incident and notification) shows as one trace.
        var activity = Activity.Current;
        var traceParent = activity?.IdFormat == ActivityIdFormat.W3C ? activity.Id : null;
        var traceState = activity?.TraceStateString;
        var observations = batch.Observations;
        var ids = new Guid[observations.Count];
        LogRows.CreateIds(ids, clock.GetUtcNow());
        // Payloads come from the items of the body, so the body's size is theirs.
        var rows = new LogRows(observations.Count, body.Length);
        try
        {
            for (var i = 0; i < observations.Count; i++)
            {
                var observation = observations[i];
                var (type, verbatim) = (EventTypes.Of(observation), batch.Verbatim[i]);
                // Only a batch with affect samples has secrets, so track updates pay nothing here.
                if (subjectSecrets is not null && observation is AffectTelemetry sample)
                {
                    rows.Add(
                        ids[i], orgId, type, observation.SchemaVersion, observation.CameraId, observation.OccurredAt,
                        traceParent, traceState, subjectSecrets.Pseudonymize(sample), AnalyticsJsonContext.Default.Observation);
                }
                else if (verbatim.Equals(default(Range)))
                {
                    rows.Add(
                        ids[i], orgId, type, observation.SchemaVersion, observation.CameraId, observation.OccurredAt,
                        traceParent, traceState, observation, AnalyticsJsonContext.Default.Observation);
                }
                else
                {
                    // Read in the contract's shape and already valid: its bytes are stored as sent,
                    // and every reader of the log reads them the same as the serializer's.
                    rows.Add(
                        ids[i], orgId, type, observation.SchemaVersion, observation.CameraId, observation.OccurredAt,
                        traceParent, traceState, body[verbatim]);
                }
            }
            return rows;
        }
        catch
        {
            rows.Dispose();
            throw;
        }
    }

    /// <summary>The batch's cameras, each with its newest event time (heartbeats included).</summary>
    private static Dictionary<(string OrgId, string CameraId), DateTimeOffset> CamerasOf(string orgId, IReadOnlyList<Observation> observations)
    {
        var cameras = new Dictionary<(string OrgId, string CameraId), DateTimeOffset>();
        foreach (var observation in observations)
        {
            ref var newest = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(cameras, (orgId, observation.CameraId), out _);
            if (observation.OccurredAt > newest)
            {
                newest = observation.OccurredAt;
            }
        }
        return cameras;
    }

    private static bool IsNdjson(string? contentType) =>
        contentType is not null && contentType.StartsWith(NdjsonMediaType, StringComparison.OrdinalIgnoreCase);

    private static ProblemHttpResult Rejected(string reason, IReadOnlyList<ObservationProblem> problems)
    {
        IngestMetrics.RejectedBatches.Add(1, new KeyValuePair<string, object?>("reason", reason));
        // The API's shape: errors keyed by JSON path, whose first index is the item's.
        return ValidationProblems.Result(
            [.. problems.Select(problem => new Analytics.Schemas.Contracts.ValidationProblem(problem.Path, problem.Reason))],
            $"The batch was refused, {problems.Count} problem(s); fix them and send the whole batch again.");
    }

    private static ProblemHttpResult BadIdempotencyKey(string detail)
    {
        IngestMetrics.RejectedBatches.Add(1, new KeyValuePair<string, object?>("reason", "idempotency_key"));
        return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The Idempotency-Key header is invalid; nothing of this batch was stored", detail: detail);
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
