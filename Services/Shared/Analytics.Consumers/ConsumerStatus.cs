using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Analytics.Consumers;

/// <summary>
/// How the consumers of one service are doing: their restarts, the entries they set aside and
/// how far behind their logs they are, as metrics (Prometheus: <c>analytics_consumer_*</c>) and as
/// the <c>consumers</c> health check, which turns <c>/health</c> degraded when one keeps
/// restarting, set an entry aside lately, or lags past <c>Consumers:MaxLagSeconds</c>.
/// </summary>
public sealed class ConsumerStatus : IHealthCheck, IDisposable
{
    private readonly Dictionary<string, ConsumerProgress> _consumers = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly TimeProvider _clock;
    private readonly ConsumerSettings _settings;
    private readonly Meter _meter;
    private readonly Counter<long> _restarts;
    private readonly Counter<long> _deadLetters;

    public ConsumerStatus(IOptions<ConsumerSettings> settings, TimeProvider clock, IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(meterFactory);
        _settings = settings.Value;
        _clock = clock;
        _meter = meterFactory.Create(Telemetry.MeterName);
        _restarts = _meter.CreateCounter<long>("analytics.consumer.restarts", "{restart}",
            "Times a consumer started over from its checkpoint after a failure, by consumer.");
        _deadLetters = _meter.CreateCounter<long>("analytics.consumer.dead_letters", "{entry}",
            "Entries a consumer could not apply and set aside in the dead letters, by consumer.");
        _meter.CreateObservableGauge("analytics.consumer.lag", ObserveLag, "s",
            "How long since a consumer last had read everything committed to its log (0 while it is caught up), by consumer.");
    }

    /// <summary>Starts reporting <paramref name="consumer"/>; it counts as behind until its first page reaches the head of its log.</summary>
    public void Register(string consumer)
    {
        lock (_lock)
        {
            _consumers.TryAdd(consumer, new ConsumerProgress(_clock.GetUtcNow()));
        }
    }

    public void Restarted(string consumer)
    {
        _restarts.Add(1, Tag(consumer));
        lock (_lock)
        {
            var progress = _consumers[consumer];
            progress.Restarts.Enqueue(_clock.GetUtcNow());
            progress.AtHead = false;
        }
    }

    public void DeadLettered(string consumer)
    {
        _deadLetters.Add(1, Tag(consumer));
        lock (_lock)
        {
            _consumers[consumer].DeadLetters.Enqueue(_clock.GetUtcNow());
        }
    }

    /// <summary>Records a page handled; <paramref name="reachedHead"/> when nothing more was committed behind it.</summary>
    public void Handled(string consumer, bool reachedHead)
    {
        lock (_lock)
        {
            var progress = _consumers[consumer];
            progress.AtHead = reachedHead;
            if (reachedHead)
            {
                progress.CaughtUpAt = _clock.GetUtcNow();
            }
        }
    }

    /// <summary>How long since <paramref name="consumer"/> last had read everything committed; zero while it has.</summary>
    public TimeSpan Lag(string consumer)
    {
        lock (_lock)
        {
            return LagLocked(consumer);
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        var now = _clock.GetUtcNow();
        var since = now - TimeSpan.FromSeconds(_settings.DegradedWindowSeconds);
        lock (_lock)
        {
            foreach (var (name, progress) in _consumers)
            {
                var restarts = ConsumerProgress.CountSince(progress.Restarts, since);
                if (restarts >= _settings.RestartsBeforeDegraded)
                {
                    problems.Add($"{name} restarted {restarts} times in the last {_settings.DegradedWindowSeconds} s");
                }
                var deadLetters = ConsumerProgress.CountSince(progress.DeadLetters, since);
                if (deadLetters > 0)
                {
                    problems.Add($"{name} set {deadLetters} entries aside as dead letters in the last {_settings.DegradedWindowSeconds} s");
                }
                var lag = LagLocked(name);
                if (lag > TimeSpan.FromSeconds(_settings.MaxLagSeconds))
                {
                    problems.Add($"{name} has not caught up with its log for {lag.TotalSeconds:0} s (Consumers:MaxLagSeconds is {_settings.MaxLagSeconds})");
                }
            }
        }
        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded(string.Join("; ", problems)));
    }

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<double>> ObserveLag()
    {
        lock (_lock)
        {
            return _consumers.Keys.Select(name => new Measurement<double>(LagLocked(name).TotalSeconds, Tag(name))).ToList();
        }
    }

    private TimeSpan LagLocked(string consumer)
    {
        var progress = _consumers[consumer];
        return progress.AtHead ? TimeSpan.Zero : _clock.GetUtcNow() - progress.CaughtUpAt;
    }

    private static KeyValuePair<string, object?> Tag(string consumer) => new("consumer", consumer);

    private sealed class ConsumerProgress(DateTimeOffset startedAt)
    {
        public Queue<DateTimeOffset> Restarts { get; } = new();

        public Queue<DateTimeOffset> DeadLetters { get; } = new();

        public DateTimeOffset CaughtUpAt { get; set; } = startedAt;

        public bool AtHead { get; set; }

        /// <summary>How many of <paramref name="times"/> fall after <paramref name="since"/>; older ones are dropped.</summary>
        public static int CountSince(Queue<DateTimeOffset> times, DateTimeOffset since)
        {
            while (times.TryPeek(out var oldest) && oldest <= since)
            {
                times.Dequeue();
            }
            return times.Count;
        }
    }
}
