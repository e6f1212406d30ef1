using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Analytics.Data.Incidents;
using Npgsql;

namespace Analytics.Api.Incidents;

/// <summary>
/// One incident opened or changed, as the feed announces it: enough to know which incident to read
/// again (<c>GET /v1/incidents/{incidentId}</c>), nothing of its content.
/// </summary>
public sealed record IncidentChange(string IncidentId, string SiteId, string Status, int Version);

/// <summary>
/// Incident changes as the database announces them (<see cref="IncidentStore.ChangesChannel"/>), passed to each subscriber of the change's organization, and for a subscriber limited to
/// sites only its sites'. One connection listens for the whole service; if it is lost, it listens
/// again and tells every subscriber to read again (<see cref="Subscription.Resync"/>), since what
/// was announced meanwhile is gone.
/// </summary>
public sealed partial class IncidentChangeFeed(NpgsqlDataSource dataSource, ILogger<IncidentChangeFeed> logger) : BackgroundService
{
    /// <summary>How many changes a slow subscriber may lag before the oldest are dropped (it is told to read again).</summary>
    private const int SubscriberCapacity = 1000;

    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<Subscription, byte> _subscriptions = new();

    /// <summary>A new subscription of <paramref name="orgId"/>'s changes, within <paramref name="sites"/> when the caller is limited to some.</summary>
    public Subscription Subscribe(string orgId, IReadOnlySet<string>? sites)
    {
        var subscription = new Subscription(orgId, sites, this);
        _subscriptions.TryAdd(subscription, 0);
        return subscription;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lost = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => Announce(e.Payload);
                await IncidentStore.ListenForChangesAsync(connection, stoppingToken);
                if (lost)
                {
                    foreach (var subscription in _subscriptions.Keys)
                    {
                        subscription.Resync = true;
                        subscription.Changes.Writer.TryWrite(null);
                    }
                }
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or System.IO.IOException)
            {
                LogListenLost(logger, e);
                lost = true;
                // A stop during the pause ends the loop above, not with an exception out of the service.
                await Task.Delay(ReconnectDelay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private void Announce(string payload)
    {
        // Every signal attached to an incident is announced; with no screen open there is nothing to do.
        if (_subscriptions.IsEmpty)
        {
            return;
        }
        var change = JsonSerializer.Deserialize<AnnouncedChange>(payload, JsonSerializerOptions.Web);
        if (change is null)
        {
            return;
        }
        foreach (var subscription in _subscriptions.Keys)
        {
            if (subscription.OrgId == change.OrgId && (subscription.Sites is null || subscription.Sites.Contains(change.SiteId)))
            {
                if (!subscription.Changes.Writer.TryWrite(new IncidentChange(change.IncidentId, change.SiteId, change.Status, change.Version)))
                {
                    subscription.Resync = true;
                }
            }
        }
    }

    private sealed record AnnouncedChange(string OrgId, string IncidentId, string SiteId, string Status, int Version);

    /// <summary>One caller's view of the feed; dispose it when the caller goes.</summary>
    public sealed class Subscription(string orgId, IReadOnlySet<string>? sites, IncidentChangeFeed feed) : IDisposable
    {
        public string OrgId { get; } = orgId;

        public IReadOnlySet<string>? Sites { get; } = sites;

        /// <summary>Changes in order; a null wakes the reader to look at <see cref="Resync"/>.</summary>
        internal Channel<IncidentChange?> Changes { get; } = System.Threading.Channels.Channel.CreateBounded<IncidentChange?>(
            new BoundedChannelOptions(SubscriberCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

        /// <summary>Changes were lost (the listening connection dropped, or the subscriber lagged): the caller must read again.</summary>
        public bool Resync { get; set; }

        public ChannelReader<IncidentChange?> Reader => Changes.Reader;

        public void Dispose()
        {
            feed._subscriptions.TryRemove(this, out _);
            Changes.Writer.TryComplete();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the database connection listening for incident changes; listening again")]
    private static partial void LogListenLost(ILogger logger, Exception exception);
}
