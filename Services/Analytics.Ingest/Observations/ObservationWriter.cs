using System.Diagnostics;
using System.Threading.Channels;
using Analytics.EventLog;
using Analytics.Schemas.Settings;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Ingest.Observations;

/// <summary>The write queue is full: the caller should come back later (HTTP 503 with Retry-After).</summary>
public sealed class WriteQueueFullException() : Exception("The observation write queue is full");

/// <summary>
/// Commits accepted batches of concurrent requests together: while one round is being written,
/// the next requests queue up and go into the next round as one COPY and one commit. A request's
/// task completes only when its records are committed, so a 2xx always means durable.
/// </summary>
public sealed partial class ObservationWriter(
    NpgsqlDataSource dataSource,
    IOptions<IngestSettings> settings,
    ILogger<ObservationWriter> logger) : BackgroundService
{
    private const int MaxTraceLinks = 64;

    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private long _queuedObservations;

    private sealed record PendingWrite(IReadOnlyList<LogRecord> Records, TaskCompletionSource Committed, ActivityContext? Request);

    /// <summary>Observations accepted but not yet committed; bounded by <see cref="IngestSettings.WriteQueueCapacity"/>.</summary>
    public long QueuedObservations => Interlocked.Read(ref _queuedObservations);

    /// <exception cref="WriteQueueFullException">Accepting the records would exceed the queue's capacity.</exception>
    public Task WriteAsync(IReadOnlyList<LogRecord> records)
    {
        if (Interlocked.Add(ref _queuedObservations, records.Count) > settings.Value.WriteQueueCapacity)
        {
            Interlocked.Add(ref _queuedObservations, -records.Count);
            IngestMetrics.QueueFull.Add(1);
            throw new WriteQueueFullException();
        }
        var pending = new PendingWrite(records, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), Activity.Current?.Context);
        if (!_queue.Writer.TryWrite(pending))
        {
            Interlocked.Add(ref _queuedObservations, -records.Count);
            throw new WriteQueueFullException();
        }
        return pending.Committed.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Up to WriteConcurrency rounds commit at once, so the database is never idle while the
        // next round is gathered and sent. Readers of the log are safe with rounds committing out
        // of order: they read by transaction (see PostgresFeed).
        using var slots = new SemaphoreSlim(settings.Value.WriteConcurrency);
        var committing = new List<Task>();
        // Stopping drains what was accepted: those callers are still waiting for their answer.
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            await slots.WaitAsync(CancellationToken.None);
            var (round, records) = (new List<PendingWrite>(), new List<LogRecord>());
            await GatherRoundAsync(round, records, stoppingToken);
            committing.RemoveAll(task => task.IsCompleted);
            committing.Add(CommitRoundAsync(round, records).ContinueWith(_ => slots.Release(), TaskScheduler.Default));
            if (stoppingToken.IsCancellationRequested && !_queue.Reader.TryPeek(out _))
            {
                break;
            }
        }
        await Task.WhenAll(committing);
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        return base.StopAsync(cancellationToken);
    }

    private async Task GatherRoundAsync(List<PendingWrite> round, List<LogRecord> records, CancellationToken stoppingToken)
    {
        var maxItems = settings.Value.WriteBatchMaxItems;
        Drain(round, records, maxItems);
        var maxDelay = settings.Value.WriteBatchMaxDelayMilliseconds;
        if (records.Count < maxItems && maxDelay > 0 && !stoppingToken.IsCancellationRequested)
        {
            // A short wait lets a burst of small requests share one commit.
            using var wait = new CancellationTokenSource(maxDelay);
            try
            {
                while (records.Count < maxItems && await _queue.Reader.WaitToReadAsync(wait.Token))
                {
                    Drain(round, records, maxItems);
                }
            }
            catch (OperationCanceledException) when (wait.IsCancellationRequested)
            {
            }
        }
    }

    private void Drain(List<PendingWrite> round, List<LogRecord> records, int maxItems)
    {
        while (records.Count < maxItems && _queue.Reader.TryRead(out var pending))
        {
            round.Add(pending);
            records.AddRange(pending.Records);
        }
    }

    private async Task CommitRoundAsync(List<PendingWrite> round, List<LogRecord> records)
    {
        var links = round.Where(p => p.Request is not null).Take(MaxTraceLinks).Select(p => new ActivityLink(p.Request!.Value));
        using var activity = Telemetry.ActivitySource.StartActivity("commit observations", ActivityKind.Internal, parentContext: default, links: links);
        activity?.SetTag("analytics.observations", records.Count);
        activity?.SetTag("analytics.requests", round.Count);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await PostgresEventLog.AppendAsync(connection, records, CancellationToken.None);
            await CameraActivity.TouchAsync(connection, records, CancellationToken.None);
            await transaction.CommitAsync();
            IngestMetrics.Committed(records.Count, Stopwatch.GetElapsedTime(started));
            foreach (var pending in round)
            {
                pending.Committed.TrySetResult();
            }
        }
        catch (Exception e)
        {
            // Nothing of the round was committed (one transaction), so every caller may safely
            // retry. Whatever the failure, every caller hears of it: rounds run unobserved.
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            LogCommitFailed(e, records.Count, round.Count);
            foreach (var pending in round)
            {
                pending.Committed.TrySetException(e);
            }
        }
        finally
        {
            Interlocked.Add(ref _queuedObservations, -records.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Committing {Observations} observations of {Requests} requests failed; the requests were answered 503")]
    private partial void LogCommitFailed(Exception error, int observations, int requests);
}
