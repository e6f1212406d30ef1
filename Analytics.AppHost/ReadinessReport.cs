using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Analytics.AppHost;

/// <summary>
/// Says on the console when every resource with a health check is healthy and how long that took
/// from the AppHost's start (the moment the platform is usable, and the README's start-up
/// figure), and says at once when a resource stops before that, since everything downstream of
/// it would otherwise just keep waiting.
/// </summary>
internal sealed partial class ReadinessReport(
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    ILogger<ReadinessReport> logger)
{
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        using var ready = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var failures = ReportFailuresAsync(ready.Token);

        var watched = model.Resources
            .Where(r => r.Annotations.OfType<HealthCheckAnnotation>().Any())
            .Select(r => r.Name)
            .ToList();
        await Task.WhenAll(watched.Select(name => notifications.WaitForResourceHealthyAsync(name, stoppingToken)));

        using var self = Process.GetCurrentProcess();
        LogReady(watched.Count, (DateTime.Now - self.StartTime).TotalSeconds);

        await ready.CancelAsync();
        await failures.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task ReportFailuresAsync(CancellationToken cancellationToken)
    {
        var reported = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var update in notifications.WatchAsync(cancellationToken))
        {
            var snapshot = update.Snapshot;
            var state = snapshot.State?.Text;
            var failed = state == KnownResourceStates.FailedToStart ||
                         (KnownResourceStates.TerminalStates.Contains(state) && snapshot.ExitCode is not null and not 0);
            if (failed && reported.Add(update.Resource.Name))
            {
                LogStopped(update.Resource.Name, state, snapshot.ExitCode);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Platform ready: all {Count} resources healthy {Seconds:F1} s after the AppHost started")]
    private partial void LogReady(int count, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Resource {Resource} stopped ({State}, exit code {ExitCode}) and what depends on it keeps waiting; its console log in the dashboard says why")]
    private partial void LogStopped(string resource, string? state, int? exitCode);
}

public static class ReadinessReportExtensions
{
    public static IDistributedApplicationBuilder AddReadinessReport(this IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsRunMode)
        {
            // Started before the orchestrator: its start-up blocks until every resource is
            // created, which never happens when something they wait for has failed.
            builder.Eventing.Subscribe<BeforeStartEvent>((@event, cancellationToken) =>
            {
                var services = @event.Services;
                var report = ActivatorUtilities.CreateInstance<ReadinessReport>(services);
                var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
                _ = Task.Run(() => report.RunAsync(stopping), stopping);
                return Task.CompletedTask;
            });
        }
        return builder;
    }
}
