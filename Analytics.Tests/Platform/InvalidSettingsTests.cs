using System.Text.Json;
using Microsoft.Extensions.Hosting;

namespace Analytics.Tests.Platform;

/// <summary>
/// Each service started by itself with a broken setting: it must stop before serving, exit with
/// the configuration exit code, and say in one log entry which key is wrong and why.
/// </summary>
public sealed class InvalidSettingsTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    // Well-formed but never dialled: settings are validated before any connection is opened.
    private const string UnusedConnectionString = ServiceProcess.UnreachableDatabase;

    public static TheoryData<string, string, string, string> BrokenSettings => new()
    {
        { "Services/Analytics.Ingest", "Ingest__MaxItemsPerBatch", "0", "Ingest:MaxItemsPerBatch must be between 1 and 100000, was 0" },
        { "Services/Analytics.Antitheft", "Antitheft__LoiteringSeconds", "-5", "Antitheft:LoiteringSeconds must be between 1 and 3600, was -5" },
        { "Services/Analytics.Safety", "Safety__CrowdingCount", "1", "Safety:CrowdingCount must be between 2 and 1000, was 1" },
        { "Services/Analytics.Education", "Education__MinGroupSize", "1", "Education:MinGroupSize must be between 2 and 1000, was 1" },
        { "Services/Analytics.Fusion", "Fusion__CameraOfflineSeconds", "5", "Fusion:CameraOfflineSeconds must be between 10 and 86400, was 5" },
        { "Services/Analytics.Notifier", "Notifier__Smtp__Port", "70000", "Notifier:Smtp:Port must be between 1 and 65535, was 70000" },
        { "Services/Analytics.Api", "Service__HealthCheckTimeoutSeconds", "0", "Service:HealthCheckTimeoutSeconds must be between 1 and 60, was 0" },
        { "Services/Analytics.Api", "Auth__OrgIdClaim", "user_metadata.org_id", "Auth:OrgIdClaim must not read from user_metadata, which users can edit, was 'user_metadata.org_id'" },
        { "Services/Analytics.Identity", "Identity__AccessTokenMinutes", "0", "Identity:AccessTokenMinutes must be between 1 and 1440, was 0" },
        { "Services/Analytics.Antitheft", "Antitheft__LoiteringSeconds", "abc", "Antitheft:LoiteringSeconds must be a whole number, was 'abc'" },
        { "Services/Analytics.Migrations", "Supabase__CommandTimeoutSeconds", "0", "Supabase:CommandTimeoutSeconds must be between 1 and 3600, was 0" },
        { "Services/Analytics.Console", "Console__ApiUrl", "api:8080", "Console:ApiUrl must be an absolute http or https URL, was 'api:8080'" },
        { "Services/Analytics.Console", "Console__SessionIdleMinutes", "1", "Console:SessionIdleMinutes must be between 5 and 10080, was 1" },
        { "Services/Analytics.Simulator", "Simulator__IngestUrl", "ingest:8080", "Simulator:IngestUrl must be an absolute http or https URL, was 'ingest:8080'" },
    };

    [Theory]
    [MemberData(nameof(BrokenSettings))]
    public async Task Service_with_a_broken_setting_exits_with_one_entry_naming_the_key(
        string project, string variable, string value, string expected)
    {
        var outcome = await ServiceProcess.RunUntilExitAsync(project, new Dictionary<string, string>
        {
            ["ConnectionStrings__analytics"] = UnusedConnectionString,
            [variable] = value,
        }, ExitTimeout);

        Assert.Equal(ServiceHost.InvalidConfigurationExitCode, outcome.ExitCode);
        var critical = Assert.Single(CriticalEntries(outcome.Output));
        Assert.Contains(expected, critical, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening on", outcome.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_problem_is_listed_in_the_same_entry()
    {
        var outcome = await ServiceProcess.RunUntilExitAsync("Services/Analytics.Antitheft", new Dictionary<string, string>
        {
            ["ConnectionStrings__analytics"] = UnusedConnectionString,
            ["Antitheft__LoiteringSeconds"] = "-5",
            ["Supabase__MaxPoolSize"] = "0",
            ["Service__ShutdownTimeoutSeconds"] = "forever",
        }, ExitTimeout);

        Assert.Equal(ServiceHost.InvalidConfigurationExitCode, outcome.ExitCode);
        var critical = Assert.Single(CriticalEntries(outcome.Output));
        Assert.Contains("Antitheft:LoiteringSeconds must be between 1 and 3600, was -5", critical, StringComparison.Ordinal);
        Assert.Contains("Supabase:MaxPoolSize must be between 1 and 1000, was 0", critical, StringComparison.Ordinal);
        Assert.Contains("Service:ShutdownTimeoutSeconds must be a whole number, was 'forever'", critical, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrations_without_a_database_connection_string_exit_naming_the_key()
    {
        var outcome = await ServiceProcess.RunUntilExitAsync("Services/Analytics.Migrations", new Dictionary<string, string>(), ExitTimeout);

        Assert.Equal(ServiceHost.InvalidConfigurationExitCode, outcome.ExitCode);
        var critical = Assert.Single(CriticalEntries(outcome.Output));
        Assert.Contains("Supabase:ConnectionString is required", critical, StringComparison.Ordinal);
    }

    /// <summary>Outside Development the console speaks JSON, one object per line.</summary>
    internal static List<string> CriticalEntries(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.StartsWith('{'))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(entry => entry.GetProperty("LogLevel").GetString() == "Critical")
            .Select(entry => entry.GetProperty("Message").GetString()!)
            .ToList();
}
