using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Analytics.Data.Ingest;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Microsoft.Extensions.Options;

namespace Analytics.Simulator;

/// <summary>
/// Posts observation batches to ingest until each is committed: the same batch is retried after
/// Retry-After on 429 (the organization's or key's rate limit) as on 503 (or another 5xx), and with
/// exponential back-off on network errors and timeouts, so no batch is dropped. Each batch carries a
/// fresh Idempotency-Key that its retries repeat, so a batch committed whose answer was lost is not
/// stored twice. Any other refusal (4xx) can never succeed: a batch too large is split (each half a
/// new batch with its own key), any other is counted and logged.
/// </summary>
public sealed partial class IngestClient(HttpClient http, IOptions<SimulatorSettings> options, SimulatorMetrics metrics, TimeProvider time, ILogger<IngestClient> logger)
{
    private static readonly TimeSpan _maxBackoff = TimeSpan.FromSeconds(30);

    public async Task SendAsync(IReadOnlyList<Observation> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes([.. batch], AnalyticsJsonContext.Default.ObservationArray);
        var idempotencyKey = Guid.NewGuid().ToString();
        var backoff = TimeSpan.FromMilliseconds(500);
        for (var attempt = 1; ; attempt++)
        {
            TimeSpan wait;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "v1/observations");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Value.ApiKey);
                request.Headers.Add(IdempotencyKeys.HeaderName, idempotencyKey);
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await http.SendAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    metrics.Sent(batch.Count);
                    return;
                }

                if (response.StatusCode == HttpStatusCode.RequestEntityTooLarge && batch.Count > 1)
                {
                    LogSplitting(logger, batch.Count);
                    var half = batch.Count / 2;
                    await SendAsync([.. batch.Take(half)], cancellationToken);
                    await SendAsync([.. batch.Skip(half)], cancellationToken);
                    return;
                }

                if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500)
                {
                    wait = RetryAfter(response) ?? backoff;
                    LogBackingOff(logger, (int)response.StatusCode, attempt, wait.TotalSeconds, batch.Count);
                }
                else
                {
                    var problem = await response.Content.ReadAsStringAsync(cancellationToken);
                    metrics.Refused(batch.Count);
                    LogRefused(logger, (int)response.StatusCode, batch.Count, problem);
                    return;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException || (exception is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                wait = backoff;
                LogNetworkError(logger, exception, attempt, wait.TotalSeconds, batch.Count);
            }

            metrics.Retried();
            await Task.Delay(wait, time, cancellationToken);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _maxBackoff.Ticks));
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }

        var wait = retryAfter.Delta ?? (retryAfter.Date - time.GetUtcNow());
        return wait is { } positive && positive > TimeSpan.Zero ? positive : TimeSpan.Zero;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest answered {StatusCode} (attempt {Attempt}); retrying the batch of {Count} in {WaitSeconds} s")]
    private static partial void LogBackingOff(ILogger logger, int statusCode, int attempt, double waitSeconds, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest unreachable (attempt {Attempt}); retrying the batch of {Count} in {WaitSeconds} s")]
    private static partial void LogNetworkError(ILogger logger, Exception exception, int attempt, double waitSeconds, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ingest refused a batch of {Count} observations with {StatusCode}; they are lost: {Problem}")]
    private static partial void LogRefused(ILogger logger, int statusCode, int count, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest found a batch of {Count} too large; sending it in halves")]
    private static partial void LogSplitting(ILogger logger, int count);
}
