using System.Globalization;
using Analytics.Incidents;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Settings;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Fusion.Incidents;

/// <summary>
/// Resolves incidents that have had no new signal for the quiet period. Runs on wall time, apart
/// from the signal log, because quiet is the absence of signals.
/// </summary>
public sealed partial class IncidentHousekeeping(
    NpgsqlDataSource dataSource,
    IOptions<FusionSettings> settings,
    TimeProvider clock,
    ILogger<IncidentHousekeeping> logger) : BackgroundService
{
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.Value.HousekeepingIntervalSeconds), clock);
        do
        {
            try
            {
                while (await ResolveQuietAsync(clock.GetUtcNow(), stoppingToken) == BatchSize)
                {
                }
            }
            catch (NpgsqlException e)
            {
                LogFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Resolves up to a batch of incidents quiet since before <paramref name="now"/> minus the quiet period.</summary>
    /// <returns>How many were resolved.</returns>
    public async Task<int> ResolveQuietAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var quiet = settings.Value.AutoResolveQuietSeconds;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var quietOnes = new List<IncidentState>();
        await using (var command = new NpgsqlCommand(
            $"""
            SELECT {IncidentStore.StateColumns} FROM incidents
            WHERE status <> 'resolved' AND last_activity_at < $1
            ORDER BY last_activity_at LIMIT {BatchSize}
            FOR UPDATE SKIP LOCKED
            """, connection))
        {
            // Skipping locked rows: an incident fusion or an operator is changing right now is not quiet.
            command.Parameters.Add(new NpgsqlParameter { Value = now.AddSeconds(-quiet) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                quietOnes.Add(IncidentStore.Read(reader));
            }
        }

        var events = new List<TracedIncidentEvent>();
        var resolved = new List<IncidentState>();
        foreach (var incident in quietOnes)
        {
            var e = new IncidentEvent
            {
                IncidentId = incident.IncidentId,
                OrgId = incident.OrgId,
                Version = incident.Version + 1,
                Type = IncidentEventType.Resolved,
                At = now,
                Actor = IncidentFolder.Actor,
                Reason = string.Create(CultureInfo.InvariantCulture, $"no new signal for {quiet} s"),
                SchemaVersion = EventTypes.CurrentVersion.IncidentEvent,
            };
            events.Add(new TracedIncidentEvent(e));
            resolved.Add(IncidentProjection.Apply(incident, e));
        }
        await IncidentStore.AppendAsync(connection, events, resolved, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return quietOnes.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Incident housekeeping failed; trying again at the next interval")]
    private partial void LogFailed(Exception error);
}
