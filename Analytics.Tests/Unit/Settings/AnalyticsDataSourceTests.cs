using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Analytics.Tests.Settings;

/// <summary>The data source every service gets: statements it repeats are prepared, unless the connection string says otherwise.</summary>
public sealed class AnalyticsDataSourceTests
{
    private const string Server = "Host=127.0.0.1;Port=5432;Database=analytics;Username=analytics;Password=not-used";

    [Theory]
    [InlineData(Server, 32)]
    [InlineData(Server + ";Max Auto Prepare=0", 0)]
    [InlineData(Server + ";MaxAutoPrepare=0", 0)]
    [InlineData(Server + ";Max Auto Prepare=5", 5)]
    public void Services_prepare_what_they_repeat_unless_the_connection_string_says_otherwise(string connectionString, int expected)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection([new("Supabase:ConnectionString", connectionString)]);
        builder.AddAnalyticsDataSource();
        using var host = builder.Build();

        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();

        Assert.Equal(expected, new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).MaxAutoPrepare);
    }
}
