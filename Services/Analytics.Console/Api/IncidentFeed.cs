using System.Net.ServerSentEvents;
using System.Text.Json;
using Analytics.Console.Sessions;

namespace Analytics.Console.Api;

/// <summary>
/// The API's incident change feed (<c>GET /v1/incidents/changes</c>) for one live screen: each
/// change names an incident to read again. After a reconnect, or when the API says changes were
/// lost, <see cref="Resync"/> asks the screen to read everything again, so nothing is missed.
/// </summary>
public sealed class IncidentFeed(IHttpClientFactory clients, CurrentSession current, ILogger<IncidentFeed> logger) : IAsyncDisposable
{
    public const string ClientName = "incident-feed";

    private static readonly TimeSpan[] Backoff = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)];

    private readonly CancellationTokenSource _stopping = new();
    private Task? _running;

    /// <summary>An incident was opened or changed.</summary>
    public event Func<IncidentChange, Task>? Changed;

    /// <summary>Changes may have been missed: read the whole screen again.</summary>
    public event Func<Task>? Resync;

    /// <summary>Connected or lost: the screen's "live" indicator changes.</summary>
    public event Func<Task>? LiveChanged;

    /// <summary>Whether the feed is connected now, for the screen's "live" indicator.</summary>
    public bool Live { get; private set; }

    private async Task SetLiveAsync(bool live)
    {
        if (Live != live)
        {
            Live = live;
            await RaiseAsync(LiveChanged);
        }
    }

    public void Start() => _running ??= Task.Run(() => RunAsync(_stopping.Token));

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        var connectedBefore = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var token = await current.AccessTokenAsync(cancellationToken);
                if (token is null)
                {
                    return;
                }
                using var request = new HttpRequestMessage(HttpMethod.Get, "v1/incidents/changes");
                request.Headers.Authorization = new("Bearer", token);
                request.Headers.Accept.Add(new("text/event-stream"));
                using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                response.EnsureSuccessStatusCode();
                await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
                {
                    switch (item.EventType)
                    {
                        case "ready":
                            await SetLiveAsync(true);
                            failures = 0;
                            // Whatever changed while the feed was down was not seen.
                            if (connectedBefore)
                            {
                                await RaiseAsync(Resync);
                            }
                            connectedBefore = true;
                            break;
                        case "resync":
                            await RaiseAsync(Resync);
                            break;
                        case "incident" when JsonSerializer.Deserialize<IncidentChange>(item.Data, AnalyticsApi.Json) is { } change:
                            await RaiseAsync(Changed is { } changed ? () => changed(change) : null);
                            break;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                logger.LogInformation("The incident change feed was interrupted ({Reason}); reconnecting", exception.Message);
            }
            await SetLiveAsync(false);
            await Task.Delay(Backoff[Math.Min(failures++, Backoff.Length - 1)], cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    // A screen's handler failing must not stop the feed for the other screens of the tab.
    private async Task RaiseAsync(Func<Task>? handler)
    {
        if (handler is null)
        {
            return;
        }
        try
        {
            await handler();
        }
        catch (Exception exception) when (!_stopping.IsCancellationRequested)
        {
            logger.LogWarning(exception, "A screen failed to apply an incident change");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        await _stopping.CancelAsync();
        if (_running is not null)
        {
            await _running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
            }
}
