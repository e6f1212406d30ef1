using Microsoft.Extensions.Hosting;

namespace Analytics.Tests.Platform;

/// <summary>
/// The seed system's flat environment names (SUPABASE_URL, SUPABASE_KEY) reach every service as
/// Supabase:Url and Supabase:Key: checked like any setting, named by the variable that set them.
/// </summary>
public sealed class FlatEnvironmentNamesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string UnusedConnectionString = ServiceProcess.UnreachableDatabase;

    public static TheoryData<string> Services => new()
    {
        "Services/Analytics.Migrations", "Services/Analytics.Ingest", "Services/Analytics.Antitheft", "Services/Analytics.Safety",
        "Services/Analytics.Education", "Services/Analytics.Fusion", "Services/Analytics.Notifier", "Services/Analytics.Api",
    };

    [Theory]
    [MemberData(nameof(Services))]
    public async Task A_SUPABASE_URL_that_is_no_url_stops_the_service_naming_key_and_variable(string project)
    {
        var outcome = await ServiceProcess.RunUntilExitAsync(project, new Dictionary<string, string>
        {
            ["ConnectionStrings__analytics"] = UnusedConnectionString,
            ["SUPABASE_URL"] = "db.example.com",
            ["SUPABASE_KEY"] = "anon-key",
        }, Timeout);

        Assert.Equal(ServiceHost.InvalidConfigurationExitCode, outcome.ExitCode);
        var critical = Assert.Single(InvalidSettingsTests.CriticalEntries(outcome.Output));
        Assert.Contains("Supabase:Url must be an absolute http or https URL, was 'db.example.com' (set as SUPABASE_URL)", critical, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SUPABASE_URL_and_SUPABASE_KEY_are_read_as_the_Supabase_settings()
    {
        await using var service = ServiceProcess.Start("Services/Analytics.Api", new Dictionary<string, string>
        {
            ["ConnectionStrings__analytics"] = UnusedConnectionString,
            ["SUPABASE_URL"] = "https://abcdefgh.supabase.co",
            ["SUPABASE_KEY"] = "anon-key",
        });

        await service.WaitForOutputAsync("Now listening on", Timeout);
        Assert.Contains("Supabase project https://abcdefgh.supabase.co, with an API key", service.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("anon-key", service.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_platforms_own_name_wins_over_the_flat_one()
    {
        await using var service = ServiceProcess.Start("Services/Analytics.Antitheft", new Dictionary<string, string>
        {
            ["ConnectionStrings__analytics"] = UnusedConnectionString,
            ["SUPABASE_URL"] = "https://flat.supabase.co",
            ["Supabase__Url"] = "https://platform.supabase.co",
        });

        await service.WaitForOutputAsync("Now listening on", Timeout);
        Assert.Contains("Supabase project https://platform.supabase.co, with no API key", service.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_string_given_as_a_url_stops_the_service_without_echoing_the_password()
    {
        var outcome = await ServiceProcess.RunUntilExitAsync("Services/Analytics.Ingest", new Dictionary<string, string>
        {
            ["ConnectionStrings__analytics"] = "postgresql://postgres:s3cret-pass@db:5432/analytics",
        }, Timeout);

        Assert.Equal(ServiceHost.InvalidConfigurationExitCode, outcome.ExitCode);
        var critical = Assert.Single(InvalidSettingsTests.CriticalEntries(outcome.Output));
        Assert.Contains("Supabase:ConnectionString must be key=value pairs", critical, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pass", outcome.Output, StringComparison.Ordinal);
    }
}
