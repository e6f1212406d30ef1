using System.Globalization;
using Analytics.Schemas.Settings;
using DbUp;
using DbUp.Engine.Output;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Migrations;

/// <summary>
/// Applies the embedded scripts in order, each in its own transaction, then stops the process:
/// exit code 0 lets the AppHost start the services, anything else keeps them waiting.
/// </summary>
public sealed partial class MigrationWorker(
    IOptions<SupabaseSettings> supabase,
    IOptions<DatabaseRoleSettings> roles,
    NpgsqlDataSource dataSource,
    IHostApplicationLifetime lifetime,
    ILogger<MigrationWorker> logger) : BackgroundService
{
    // Any constant shared by every migrator works; it only has to be the same for all of them.
    private const long MigrationLockKey = 0x616e616c79746963;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var activity = Telemetry.ActivitySource.StartActivity("migrate database");
        try
        {
            var connectionString = supabase.Value.ConnectionString!;
            EnsureDatabase.For.PostgresqlDatabase(connectionString, new UpgradeLog(logger));

            // Two migrators started together (replicas, a redeploy) would otherwise race on the journal.
            await using var lockConnection = await dataSource.OpenConnectionAsync(stoppingToken);
            await using (var acquire = new NpgsqlCommand("SELECT pg_advisory_lock($1)", lockConnection))
            {
                acquire.Parameters.Add(new NpgsqlParameter { Value = MigrationLockKey });
                await acquire.ExecuteNonQueryAsync(stoppingToken);
            }

            var result = DeployChanges.To
                .PostgresqlDatabase(connectionString)
                .WithScriptsEmbeddedInAssembly(MigrationScripts.Assembly)
                .JournalToPostgresqlTable(MigrationScripts.JournalSchema, MigrationScripts.JournalTable)
                .WithTransactionPerScript()
                // A script that rebuilds an index of the log (0011) runs over every partition; the
                // provider's default of 30 s would roll it back on a database holding days of data.
                .WithExecutionTimeout(TimeSpan.FromHours(1))
                .LogTo(new UpgradeLog(logger))
                .Build()
                .PerformUpgrade();

            if (result.Successful)
            {
                await SetRolePasswordsAsync(lockConnection, stoppingToken);
                var applied = result.Scripts.Count();
                LogApplied(applied, MigrationScripts.Names.Count);
            }
            else
            {
                LogFailed(result.Error, result.ErrorScript?.Name);
                Environment.ExitCode = 1;
            }
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            LogFailed(e, null);
            Environment.ExitCode = 1;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    /// <summary>Gives each configured role LOGIN and its password, quoted by the server itself.</summary>
    private async Task SetRolePasswordsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        foreach (var (role, password) in roles.Value.Passwords)
        {
            await using var format = new NpgsqlCommand("SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', $1, $2)", connection);
            format.Parameters.Add(new NpgsqlParameter { Value = role });
            format.Parameters.Add(new NpgsqlParameter { Value = password });
            var statement = (string)(await format.ExecuteScalarAsync(cancellationToken))!;
            await using var alter = new NpgsqlCommand(statement, connection);
            await alter.ExecuteNonQueryAsync(cancellationToken);
        }
        LogRolePasswordsSet(roles.Value.Passwords.Count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Set the password of {Roles} service role(s)")]
    private partial void LogRolePasswordsSet(int roles);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database is current: applied {Applied} new script(s), {Total} in all")]
    private partial void LogApplied(int applied, int total);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Migration failed at script {Script}")]
    private partial void LogFailed(Exception error, string? script);

    /// <summary>DbUp's progress into the host's logging, so it reaches the console and the dashboard.</summary>
    private sealed class UpgradeLog(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) => Write(LogLevel.Trace, null, format, args);
        public void LogDebug(string format, params object[] args) => Write(LogLevel.Debug, null, format, args);
        public void LogInformation(string format, params object[] args) => Write(LogLevel.Information, null, format, args);
        public void LogWarning(string format, params object[] args) => Write(LogLevel.Warning, null, format, args);
        public void LogError(string format, params object[] args) => Write(LogLevel.Error, null, format, args);
        public void LogError(Exception ex, string format, params object[] args) => Write(LogLevel.Error, ex, format, args);

        // DbUp formats with {0}-style composite strings, not message templates.
        private void Write(LogLevel level, Exception? error, string format, object[] args)
        {
            if (logger.IsEnabled(level))
            {
                var message = string.Format(CultureInfo.InvariantCulture, format, args);
                logger.Log(level, error, "{DbUpMessage}", message);
            }
        }
    }
}
