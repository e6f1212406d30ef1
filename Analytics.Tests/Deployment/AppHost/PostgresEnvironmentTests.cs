using Analytics.AppHost.Postgres;
using Aspire.Hosting;
using Microsoft.Extensions.Configuration;

namespace Analytics.Tests.AppHost;

public sealed class PostgresEnvironmentTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value)))
            .Build();

    [Theory]
    [InlineData(null, PostgresMode.Auto)]
    [InlineData("auto", PostgresMode.Auto)]
    [InlineData("Container", PostgresMode.Container)]
    [InlineData("LOCAL", PostgresMode.Local)]
    [InlineData("external", PostgresMode.External)]
    public void Mode_is_read_case_insensitively_and_defaults_to_auto(string? value, PostgresMode expected)
    {
        var configuration = value is null ? Config() : Config(("Postgres:Mode", value));
        Assert.Equal(expected, PostgresEnvironment.ReadMode(configuration));
    }

    [Theory]
    [InlineData("docker-compose")]
    [InlineData("7")]
    public void An_unknown_mode_is_refused_with_the_key_and_the_choices(string value)
    {
        var error = Assert.Throws<DistributedApplicationException>(() => PostgresEnvironment.ReadMode(Config(("Postgres:Mode", value))));
        Assert.Contains("Postgres:Mode must be one of auto, container, local, external", error.Message, StringComparison.Ordinal);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_without_a_container_runtime_picks_this_machines_server()
    {
        var bin = FakeServerBinaries();
        var configuration = Config(("ASPIRE_CONTAINER_RUNTIME", "no-such-container-runtime"), ("Postgres:BinDirectory", bin));

        Assert.Equal(PostgresMode.Local, PostgresEnvironment.Resolve(PostgresMode.Auto, configuration));
    }

    [Fact]
    public void Auto_with_no_runtime_and_a_bin_directory_without_the_server_names_the_key()
    {
        var empty = Directory.CreateTempSubdirectory("no-postgres-").FullName;
        var configuration = Config(("ASPIRE_CONTAINER_RUNTIME", "no-such-container-runtime"), ("Postgres:BinDirectory", empty));

        var error = Assert.Throws<DistributedApplicationException>(() => PostgresEnvironment.Resolve(PostgresMode.Auto, configuration));
        Assert.Contains("Postgres:BinDirectory", error.Message, StringComparison.Ordinal);
        Assert.Contains(empty, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_explicit_mode_is_kept_without_probing()
    {
        var configuration = Config(("ASPIRE_CONTAINER_RUNTIME", "no-such-container-runtime"));
        Assert.Equal(PostgresMode.Container, PostgresEnvironment.Resolve(PostgresMode.Container, configuration));
    }

    [Fact]
    public void A_configured_data_directory_wins_and_is_made_absolute()
    {
        var configuration = Config(("Postgres:DataDirectory", "relative/pgdata"));
        Assert.Equal(Path.GetFullPath("relative/pgdata"), PostgresEnvironment.DataDirectory(configuration));
    }

    private static string FakeServerBinaries()
    {
        var dir = Directory.CreateTempSubdirectory("fake-postgres-").FullName;
        File.WriteAllText(Path.Combine(dir, "initdb"), "");
        File.WriteAllText(Path.Combine(dir, "postgres"), "");
        return dir;
    }
}
