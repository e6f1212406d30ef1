using Microsoft.Extensions.Options;
using Npgsql;
using Analytics.Data.Ingest;

namespace Analytics.Ingest.Observations;

/// <summary>
/// Keeps the observation log's daily partitions a week ahead of the clock and drops those past
/// the retention, deletes affect telemetry past its shorter retention, and destroys the subject key
/// secrets of days past theirs (<see cref="SubjectKeySecrets.DestroyExpiredAsync"/>) and the
/// Idempotency-Keys past <see cref="IngestSettings.IdempotencyKeyRetentionHours"/>, at start and then
/// hourly. Ingest owns it because ingest is the log's writer and the only user of the secrets and keys.
/// </summary>
public sealed partial class ObservationLogMaintenance(
    [FromKeyedServices(HousekeepingDatabase.Key)] NpgsqlDataSource dataSource,
    SubjectKeySecrets subjectKeySecrets,
    IOptions<IngestSettings> settings,
    ILogger<ObservationLogMaintenance> logger) : BackgroundService
{
    private const int DaysAhead = 7;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            try
            {
                await using var batch = dataSource.CreateBatch();
                batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT analytics_maintain_observation_log($1, $2)")
                {
                    Parameters = { new() { Value = DaysAhead }, new() { Value = settings.Value.ObservationRetentionDays } },
                });
                batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT analytics_delete_old_affect_telemetry($1)")
                {
                    Parameters = { new() { Value = settings.Value.AffectTelemetryRetentionHours } },
                });
                await batch.ExecuteNonQueryAsync(stoppingToken);
            }
            catch (NpgsqlException e)
            {
                // Partitions exist a week ahead, so an hour's failure costs nothing yet.
                LogMaintenanceFailed(e);
            }
            try
            {
                // On its own, so a failure of the log's maintenance never keeps a secret alive.
                await subjectKeySecrets.DestroyExpiredAsync(dataSource, stoppingToken);
            }
            catch (NpgsqlException e)
            {
                // Ingest has already forgotten them and never uses them again; the rows go next hour.
                LogSecretDestructionFailed(e);
            }
            try
            {
                await IdempotencyKeys.DeleteExpiredAsync(dataSource, settings.Value.IdempotencyKeyRetentionHours, stoppingToken);
            }
            catch (NpgsqlException e)
            {
                // An expired key kept an hour longer only answers a late repeat as it deserves.
                LogKeyCleanupFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Observation log maintenance failed; retrying in an hour")]
    private partial void LogMaintenanceFailed(Exception error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Destroying expired subject key secrets failed; retrying in an hour")]
    private partial void LogSecretDestructionFailed(Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting expired idempotency keys failed; retrying in an hour")]
    private partial void LogKeyCleanupFailed(Exception error);
}
