using Analytics.EventLog;
using Analytics.Schemas.Settings;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Analytics.Rules.Hosting;

public static class RuleHostingExtensions
{
    /// <summary>
    /// Runs <paramref name="createRules"/>' rules over the observation log as consumer
    /// <paramref name="name"/>, with a clock per camera that tolerates <c>Rules:AllowedLatenessSeconds</c>.
    /// </summary>
    public static TBuilder AddRuleConsumer<TBuilder>(this TBuilder builder, string name, Func<IServiceProvider, IRule> createRules)
        where TBuilder : IHostApplicationBuilder
    {
        builder.AddValidatedSettings<RulesSettings>(RulesSettings.SectionName);
        builder.Services.AddSingleton<ZoneSource>();
        builder.Services.AddSingleton(sp => new PostgresEventLog(sp.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.AddHostedService(sp => new RuleConsumer(
            name,
            () => new RuleEngine(createRules(sp), TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<RulesSettings>>().Value.AllowedLatenessSeconds)),
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<PostgresEventLog>(),
            sp.GetRequiredService<ZoneSource>(),
            sp.GetRequiredService<ILogger<RuleConsumer>>()));
        return builder;
    }
}
