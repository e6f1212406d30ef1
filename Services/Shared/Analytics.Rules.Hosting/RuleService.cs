using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Analytics.Rules.Hosting;

/// <summary>
/// The whole program of a rule service (antitheft, safety, education): they differ only in their
/// name, their settings and their rules, so each <c>Program.cs</c> is one call to this.
/// </summary>
public static class RuleService
{
    /// <summary>
    /// Runs <paramref name="createRules"/>' rules over the observation log as consumer
    /// <paramref name="name"/>, with <typeparamref name="TSettings"/> bound from
    /// <paramref name="settingsSection"/> and validated at start (exit code 78 when invalid); with
    /// <paramref name="optInOnly"/>, only for the organizations that opted into the domain.
    /// </summary>
    public static async Task<int> RunAsync<TSettings>(
        string[] args, string name, string settingsSection, Func<TSettings, IRule> createRules, bool optInOnly = false)
        where TSettings : class
    {
        var builder = WebApplication.CreateBuilder(args);

        builder.AddServiceDefaults();
        builder.AddAnalyticsDataSource();
        builder.AddValidatedSettings<TSettings>(settingsSection);
        builder.AddRuleConsumer(name, sp => createRules(sp.GetRequiredService<IOptions<TSettings>>().Value), optInOnly);

        var app = builder.Build();

        app.MapDefaultEndpoints();

        return await app.RunServiceAsync();
    }
}
