using Analytics.Consumers;
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
    /// <paramref name="name"/>, with a clock per camera that tolerates <c>Rules:AllowedLatenessSeconds</c>;
    /// with <paramref name="optInOnly"/>, only for organizations that opted into the domain (education).
    /// </summary>
    public static TBuilder AddRuleConsumer<TBuilder>(this TBuilder builder, string name, Func<IServiceProvider, IRule> createRules, bool optInOnly = false)
        where TBuilder : IHostApplicationBuilder
    {
        builder.AddValidatedSettings<RulesSettings>(RulesSettings.SectionName);
        builder.Services.AddSingleton<ZoneSource>();
        builder.Services.AddSingleton<OptedInOrganizations>();
        builder.Services.AddSingleton(sp => new RuleConsumer(
            name,
            () => new RuleEngine(createRules(sp), TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<RulesSettings>>().Value.AllowedLatenessSeconds)),
            sp.GetRequiredService<ZoneSource>(),
            optInOnly ? sp.GetRequiredService<OptedInOrganizations>() : null,
            sp.GetRequiredService<ILogger<RuleConsumer>>()));
        // The log leaves out the payloads of the types these rules do not read.
        return builder.AddLogConsumer(
            name,
            sp => new PostgresEventLog(sp.GetRequiredService<NpgsqlDataSource>()).Projected(sp.GetRequiredService<RuleConsumer>().ObservationTypes),
            sp => sp.GetRequiredService<RuleConsumer>());
    }
}
