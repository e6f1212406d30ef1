using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Analytics.Simulator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Analytics.Tests.Simulator;

/// <summary>The simulator's ingest client against a scripted ingest: retries, refusals, splitting; no batch dropped silently.</summary>
public sealed class IngestClientTests : IDisposable
{
    private const string Key = "0123456789abcdef0123456789abcdef";
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ImmediateTimeProvider _time = new();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task A_503_is_retried_after_its_Retry_After_with_the_same_batch()
    {
        var ingest = new ScriptedIngest(
            _ => Answer(HttpStatusCode.ServiceUnavailable, retryAfterSeconds: 2),
            _ => Answer(HttpStatusCode.ServiceUnavailable, retryAfterSeconds: 1),
            _ => Answer(HttpStatusCode.OK));
        var (client, metrics) = Create(ingest);

        await client.SendAsync(Batch(3), CancellationToken.None);

        Assert.Equal(3, ingest.Bodies.Count);
        Assert.Single(ingest.Bodies.Distinct(StringComparer.Ordinal));
        Assert.Equal(3, JsonSerializer.Deserialize(ingest.Bodies[0], AnalyticsJsonContext.Default.ObservationArray)!.Length);
        Assert.All(ingest.Authorizations, a => Assert.Equal($"Bearer {Key}", a));
        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)], _time.Delays);
        Assert.Equal((1, 3, 2, 0), (metrics.BatchesSent, metrics.ObservationsSent, metrics.BatchesRetried, metrics.BatchesRefused));
    }

    [Fact]
    public async Task A_429_is_retried_like_a_503_after_its_Retry_After_with_the_same_batch_and_key()
    {
        // Over its organization's or key's rate limit, ingest stored nothing; the batch is sent
        // again as it was, once the wait ingest asked for has passed.
        var ingest = new ScriptedIngest(
            _ => Answer(HttpStatusCode.TooManyRequests, retryAfterSeconds: 3),
            _ => Answer(HttpStatusCode.OK));
        var (client, metrics) = Create(ingest);

        await client.SendAsync(Batch(3), CancellationToken.None);

        Assert.Equal(2, ingest.Bodies.Count);
        Assert.Single(ingest.Bodies.Distinct(StringComparer.Ordinal));
        Assert.Single(ingest.IdempotencyKeys.Distinct(StringComparer.Ordinal));
        Assert.Equal([TimeSpan.FromSeconds(3)], _time.Delays);
        Assert.Equal((1, 3, 1, 0), (metrics.BatchesSent, metrics.ObservationsSent, metrics.BatchesRetried, metrics.BatchesRefused));
    }

    [Fact]
    public async Task Every_attempt_of_a_batch_carries_its_one_idempotency_key_and_the_next_batch_a_new_one()
    {
        // The answer to the first attempt is lost (a reset after ingest committed), the second is
        // a 503: both retries must name the first attempt's key, or ingest would store the batch twice.
        var ingest = new ScriptedIngest(
            _ => throw new HttpRequestException("connection reset"),
            _ => Answer(HttpStatusCode.ServiceUnavailable, retryAfterSeconds: 1),
            _ => Answer(HttpStatusCode.OK));
        var (client, _) = Create(ingest);

        await client.SendAsync(Batch(3), CancellationToken.None);
        await client.SendAsync(Batch(3), CancellationToken.None);

        Assert.Equal(4, ingest.IdempotencyKeys.Count);
        Assert.All(ingest.IdempotencyKeys, key => Assert.True(Guid.TryParse(key, out _), $"not a UUID: {key}"));
        Assert.Single(ingest.IdempotencyKeys.Take(3).Distinct(StringComparer.Ordinal));
        Assert.NotEqual(ingest.IdempotencyKeys[0], ingest.IdempotencyKeys[3]);
    }

    [Fact]
    public async Task Each_half_of_a_split_batch_has_a_key_of_its_own()
    {
        var ingest = new ScriptedIngest(request =>
            Count(request) > 2 ? Answer(HttpStatusCode.RequestEntityTooLarge) : Answer(HttpStatusCode.OK));
        var (client, _) = Create(ingest);

        await client.SendAsync(Batch(4), CancellationToken.None);

        // The whole batch and its two halves: different bodies, so different keys.
        Assert.Equal(3, ingest.IdempotencyKeys.Count);
        Assert.Equal(3, ingest.IdempotencyKeys.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task Network_errors_back_off_exponentially_until_ingest_answers()
    {
        var ingest = new ScriptedIngest(
            _ => throw new HttpRequestException("connection refused"),
            _ => throw new HttpRequestException("connection refused"),
            _ => throw new HttpRequestException("connection refused"),
            _ => Answer(HttpStatusCode.OK));
        var (client, metrics) = Create(ingest);

        await client.SendAsync(Batch(2), CancellationToken.None);

        Assert.Equal([TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], _time.Delays);
        Assert.Equal((1, 2, 3), (metrics.BatchesSent, metrics.ObservationsSent, metrics.BatchesRetried));
    }

    [Fact]
    public async Task A_refused_batch_is_counted_and_not_retried()
    {
        var ingest = new ScriptedIngest(_ => Answer(HttpStatusCode.BadRequest));
        var (client, metrics) = Create(ingest);

        await client.SendAsync(Batch(4), CancellationToken.None);

        Assert.Single(ingest.Bodies);
        Assert.Equal((0, 1, 4, 0), (metrics.BatchesSent, metrics.BatchesRefused, metrics.ObservationsRefused, metrics.BatchesRetried));
    }

    [Fact]
    public async Task A_batch_too_large_is_sent_in_halves()
    {
        var ingest = new ScriptedIngest(request =>
            Count(request) > 2 ? Answer(HttpStatusCode.RequestEntityTooLarge) : Answer(HttpStatusCode.OK));
        var (client, metrics) = Create(ingest);

        await client.SendAsync(Batch(5), CancellationToken.None);

        Assert.Equal((3, 5, 0), (metrics.BatchesSent, metrics.ObservationsSent, metrics.BatchesRefused));
    }

    private (IngestClient Client, SimulatorMetrics Metrics) Create(ScriptedIngest ingest)
    {
        var metrics = new SimulatorMetrics(_services.GetRequiredService<IMeterFactory>());
        var http = new HttpClient(ingest) { BaseAddress = new Uri("http://ingest") };
        var settings = Options.Create(new SimulatorSettings { ApiKey = Key });
        return (new IngestClient(http, settings, metrics, _time, NullLogger<IngestClient>.Instance), metrics);
    }

    private static Observation[] Batch(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new TrackUpdate
        {
            SchemaVersion = 1,
            SiteId = "site",
            CameraId = "cam",
            OccurredAt = new DateTimeOffset(2025, 3, 3, 10, 0, i, TimeSpan.Zero),
            TrackId = $"t{i}",
            ObjectClass = "person",
            Confidence = 0.9,
            Box = new BoundingBox(0.1, 0.1, 0.1, 0.2),
        })];

    private static int Count(HttpRequestMessage request) =>
        JsonSerializer.Deserialize(request.Content!.ReadAsStream(), AnalyticsJsonContext.Default.ObservationArray)!.Length;

    private static HttpResponseMessage Answer(HttpStatusCode status, int? retryAfterSeconds = null)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent("{}") };
        if (retryAfterSeconds is { } seconds)
        {
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(seconds));
        }

        return response;
    }

    /// <summary>Answers each request with the next script step; the last step repeats.</summary>
    private sealed class ScriptedIngest(params Func<HttpRequestMessage, HttpResponseMessage>[] steps) : HttpMessageHandler
    {
        private int _next;

        public List<string> Bodies { get; } = [];

        public List<string?> Authorizations { get; } = [];

        public List<string?> IdempotencyKeys { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Bodies.Add(await request.Content!.ReadAsStringAsync(cancellationToken));
            Authorizations.Add(request.Headers.Authorization?.ToString());
            IdempotencyKeys.Add(request.Headers.TryGetValues(Analytics.Data.Ingest.IdempotencyKeys.HeaderName, out var keys) ? string.Join(',', keys) : null);
            var step = steps[Math.Min(_next++, steps.Length - 1)];
            return step(request);
        }
    }

    /// <summary>Records every delay asked for and lets it pass at once, so back-off is checked without waiting.</summary>
    private sealed class ImmediateTimeProvider : TimeProvider
    {
        public List<TimeSpan> Delays { get; } = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (Delays)
            {
                Delays.Add(dueTime);
            }

            return System.CreateTimer(callback, state, TimeSpan.Zero, period);
        }
    }
}
