using System.Diagnostics;
using System.Threading.Channels;
using Analytics.Data.Registry;
using Analytics.EventLog;
using Microsoft.Extensions.Options;
using Npgsql;
using Analytics.Data.Ingest;
using Analytics.Data.Tenancy;

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

    /// <summary>Who writes the log, as row-level security's claims name it.</summary>
    private const string Actor = "ingest";

    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private long _queuedObservations;

    private sealed record PendingWrite(
        string OrgId,
        LogRows Rows,
        IReadOnlyDictionary<(string OrgId, string CameraId), DateTimeOffset> Cameras,
        IdempotencyClaim? Claim,
        TaskCompletionSource<StoredAnswer?> Committed,
        ActivityContext? Request);

    /// <summary>Observations accepted but not yet committed; bounded by <see cref="IngestSettings.WriteQueueCapacity"/>.</summary>
    public long QueuedObservations => Interlocked.Read(ref _queuedObservations);

    /// <summary>
    /// Commits <paramref name="rows"/> with the next round. The caller keeps owning the rows; they
    /// are read until the returned task completes, and not after.
    /// </summary>
    /// <returns>
    /// Null once the rows are committed; or, when <paramref name="claim"/>'s key was committed
    /// before (or by another request of the same round), the answer stored with it, and nothing of
    /// these rows is written.
    /// </returns>
    /// <exception cref="WriteQueueFullException">Accepting the rows would exceed the queue's capacity.</exception>
    /// <param name="orgId">The organization of the caller, which every row is of.</param>
    /// <param name="rows">The batch's rows.</param>
    /// <param name="cameras">The batch's cameras with their newest event times, recorded with the commit (<see cref="RegistryStore.TouchCamerasAsync"/>).</param>
    /// <param name="claim">The batch's Idempotency-Key, stored in the same transaction as the rows.</param>
    public Task<StoredAnswer?> WriteAsync(string orgId, LogRows rows, IReadOnlyDictionary<(string OrgId, string CameraId), DateTimeOffset> cameras, IdempotencyClaim? claim = null)
    {
        if (Interlocked.Add(ref _queuedObservations, rows.Count) > settings.Value.WriteQueueCapacity)
        {
            Interlocked.Add(ref _queuedObservations, -rows.Count);
            IngestMetrics.QueueFull.Add(1);
            throw new WriteQueueFullException();
        }
        var pending = new PendingWrite(orgId, rows, cameras, claim, new TaskCompletionSource<StoredAnswer?>(TaskCreationOptions.RunContinuationsAsynchronously), Activity.Current?.Context);
        if (!_queue.Writer.TryWrite(pending))
        {
            Interlocked.Add(ref _queuedObservations, -rows.Count);
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
            var round = new Round();
            await GatherRoundAsync(round, stoppingToken);
            committing.RemoveAll(task => task.IsCompleted);
            committing.Add(CommitRoundAsync(round).ContinueWith(_ => slots.Release(), TaskScheduler.Default));
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

    /// <summary>The requests committed together.</summary>
    private sealed class Round
    {
        public List<PendingWrite> Requests { get; } = [];
        public int Count { get; private set; }

        public void Add(PendingWrite pending)
        {
            Requests.Add(pending);
            Count += pending.Rows.Count;
        }

        public static void AddCameras(Dictionary<(string OrgId, string CameraId), DateTimeOffset> cameras, PendingWrite pending)
        {
            foreach (var (camera, newest) in pending.Cameras)
            {
                if (!cameras.TryGetValue(camera, out var known) || newest > known)
                {
                    cameras[camera] = newest;
                }
            }
        }
    }

    private async Task GatherRoundAsync(Round round, CancellationToken stoppingToken)
    {
        var maxItems = settings.Value.WriteBatchMaxItems;
        Drain(round, maxItems);
        var maxDelay = settings.Value.WriteBatchMaxDelayMilliseconds;
        if (round.Count < maxItems && maxDelay > 0 && !stoppingToken.IsCancellationRequested)
        {
            // A short wait lets a burst of small requests share one commit.
            using var wait = new CancellationTokenSource(maxDelay);
            try
            {
                while (round.Count < maxItems && await _queue.Reader.WaitToReadAsync(wait.Token))
                {
                    Drain(round, maxItems);
                }
            }
            catch (OperationCanceledException) when (wait.IsCancellationRequested)
            {
            }
        }
    }

    private void Drain(Round round, int maxItems)
    {
        while (round.Count < maxItems && _queue.Reader.TryRead(out var pending))
        {
            round.Add(pending);
        }
    }

    private async Task CommitRoundAsync(Round round)
    {
        var links = round.Requests.Where(p => p.Request is not null).Take(MaxTraceLinks).Select(p => new ActivityLink(p.Request!.Value));
        using var activity = Telemetry.ActivitySource.StartActivity("commit observations", ActivityKind.Internal, parentContext: default, links: links);
        activity?.SetTag("analytics.observations", round.Count);
        activity?.SetTag("analytics.requests", round.Requests.Count);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            var answers = new StoredAnswer?[round.Requests.Count];
            var committed = 0;
            // Row-level security lets a transaction write only the organization it is under
            // (migration 0016), so a round of several organizations writes each under its own, in
            // a fixed order so concurrent rounds lock cameras in the same order.
            foreach (var organization in round.Requests.Select((pending, index) => (pending, index)).GroupBy(r => r.pending.OrgId).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                await TenantContext.EnterAsync(connection, organization.Key, Actor, CancellationToken.None);
                var requests = organization.ToList();
                // Keys first, so a batch committed before (or in flight in another round) is left
                // out of this round's rows. Requests without keys pay nothing for it.
                var replays = requests.Any(r => r.pending.Claim is not null)
                    ? await IdempotencyKeys.ClaimAsync(connection, requests.ConvertAll(r => r.pending.Claim), CancellationToken.None)
                    : null;
                var stored = new List<PendingWrite>(requests.Count);
                // A repeated batch is not news of its cameras: it changes neither when they were
                // last seen nor how far their event time got.
                var cameras = new Dictionary<(string OrgId, string CameraId), DateTimeOffset>();
                for (var i = 0; i < requests.Count; i++)
                {
                    answers[requests[i].index] = replays?[i];
                    if (replays?[i] is null)
                    {
                        stored.Add(requests[i].pending);
                        Round.AddCameras(cameras, requests[i].pending);
                        committed += requests[i].pending.Rows.Count;
                    }
                }
                await PostgresEventLog.AppendAsync(connection, stored.ConvertAll(pending => pending.Rows), CancellationToken.None);
                // After the rows, so concurrent rounds hold the cameras' row locks only for their
                // commit. A round whose observations land in the log before an idle close of one of
                // its cameras makes that close stale: the rule services ignore a close older than
                // what they have already read of the camera.
                await RegistryStore.TouchCamerasAsync(connection, cameras, CancellationToken.None);
            }
            await transaction.CommitAsync();
            IngestMetrics.Committed(committed, Stopwatch.GetElapsedTime(started));
            for (var i = 0; i < round.Requests.Count; i++)
            {
                round.Requests[i].Committed.TrySetResult(answers[i]);
            }
        }
        catch (Exception e)
        {
            // Nothing of the round was committed (one transaction), so every caller may safely
            // retry. Whatever the failure, every caller hears of it: rounds run unobserved.
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            LogCommitFailed(e, round.Count, round.Requests.Count);
            foreach (var pending in round.Requests)
            {
                pending.Committed.TrySetException(e);
            }
        }
        finally
        {
            Interlocked.Add(ref _queuedObservations, -round.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Committing {Observations} observations of {Requests} requests failed; nothing of them was stored")]
    private partial void LogCommitFailed(Exception error, int observations, int requests);
}
