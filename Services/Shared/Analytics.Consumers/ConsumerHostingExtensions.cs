using Analytics.EventLog;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Analytics.Consumers;

public static class ConsumerHostingExtensions
{
    /// <summary>
    /// Runs <paramref name="createConsumer"/>'s consumer over <paramref name="createLog"/>'s log as
    /// consumer <paramref name="name"/> (its checkpoint's key), on the <see cref="ConsumerHost{T}"/>,
    /// and reports it in the <c>consumers</c> health check.
    /// </summary>
    /// <param name="builder">The service's builder.</param>
    /// <param name="name">The consumer's name: the key of its checkpoint and dead letters, and its metrics' tag.</param>
    /// <param name="createLog">The log it reads.</param>
    /// <param name="createConsumer">The consumer.</param>
    /// <param name="readAhead">Read the next page while the consumer handles the current one: worth it for a consumer whose pages are large and costly to write.</param>
    public static TBuilder AddLogConsumer<TBuilder, T>(
        this TBuilder builder,
        string name,
        Func<IServiceProvider, IEventLog<T>> createLog,
        Func<IServiceProvider, ILogConsumer<T>> createConsumer,
        bool readAhead = false)
        where TBuilder : IHostApplicationBuilder
    {
        if (!builder.Services.Any(s => s.ServiceType == typeof(ConsumerStatus)))
        {
            builder.AddValidatedSettings<ConsumerSettings>(ConsumerSettings.SectionName);
            builder.Services.TryAddSingleton(TimeProvider.System);
            builder.Services.AddSingleton<ConsumerStatus>();
            builder.Services.AddHealthChecks().AddCheck<ConsumerStatus>("consumers");
        }
        builder.Services.AddHostedService(sp => new ConsumerHost<T>(
            name,
            createLog(sp),
            createConsumer(sp),
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<ConsumerStatus>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ConsumerHost<T>>>(),
            readAhead));
        return builder;
    }
}
