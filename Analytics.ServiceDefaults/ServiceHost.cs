using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static partial class ServiceHost
{
    /// <summary>sysexits.h EX_CONFIG: the process stopped because its configuration is invalid.</summary>
    public const int InvalidConfigurationExitCode = 78;

    /// <summary>
    /// Starts the host and waits for shutdown. Invalid settings stop the process before it serves
    /// anything, with one critical log entry listing every bad key and exit code 78.
    /// </summary>
    public static async Task<int> RunServiceAsync(this IHost host)
    {
        try
        {
            try
            {
                // Validate before StartAsync resolves hosted services and lifetimes: those may
                // depend on settings (a data source, a shutdown timeout) and would fail first,
                // with a stack trace instead of the list of bad keys.
                host.Services.GetService<IStartupValidator>()?.Validate();
                await host.StartAsync();
            }
            catch (Exception e) when (SettingsFailures(e) is { Count: > 0 } failures)
            {
                var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Analytics.Settings");
                var problems = string.Join("; ", failures);
                LogInvalidConfiguration(logger, problems);
                return InvalidConfigurationExitCode;
            }
            await host.WaitForShutdownAsync();
            return Environment.ExitCode;
        }
        finally
        {
            // Disposing flushes the console logger's queue, so the entry above is never lost.
            if (host is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
            else
            {
                host.Dispose();
            }
        }
    }

    private static List<string> SettingsFailures(Exception e) => e switch
    {
        OptionsValidationException validation => [.. validation.Failures],
        AggregateException aggregate when aggregate.InnerExceptions.All(i => i is OptionsValidationException) =>
            [.. aggregate.InnerExceptions.SelectMany(i => ((OptionsValidationException)i).Failures)],
        _ => [],
    };

    [LoggerMessage(Level = LogLevel.Critical, Message = "Invalid configuration, the service stops: {Problems}")]
    private static partial void LogInvalidConfiguration(ILogger logger, string problems);
}
