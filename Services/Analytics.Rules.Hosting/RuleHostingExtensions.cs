using Analytics.EventLog;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Analytics.Rules.Hosting;

public static class RuleHostingExtensions
{
    /// <summary>Runs <paramref name="createRules"/>' rules over the observation log as consumer <paramref name="name"/>.</summary>
    public static TBuilder AddRuleConsumer<TBuilder>(this TBuilder builder, string name, Func<IServiceProvider, IRule> createRules)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddSingleton<ZoneSource>();
        builder.Services.AddSingleton(sp => new PostgresEventLog(sp.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.AddHostedService(sp => new RuleConsumer(
            name,
            () => createRules(sp),
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<PostgresEventLog>(),
            sp.GetRequiredService<ZoneSource>(),
            sp.GetRequiredService<ILogger<RuleConsumer>>()));
        return builder;
    }
}
