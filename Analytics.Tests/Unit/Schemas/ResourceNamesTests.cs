using Analytics.Schemas;

namespace Analytics.Tests.Schemas;

public sealed class ResourceNamesTests
{
    [Fact]
    public void Services_are_the_seven_web_services()
    {
        Assert.Equal(["ingest", "antitheft", "safety", "education", "fusion", "notifier", "api", "identity", "console"], ResourceNames.Services);
        Assert.DoesNotContain(ResourceNames.Migrations, ResourceNames.Services);
        Assert.DoesNotContain(ResourceNames.Simulator, ResourceNames.Services);
        Assert.Equal("analytics", ResourceNames.Database);
        Assert.Equal("postgres", ResourceNames.Postgres);
    }
}
