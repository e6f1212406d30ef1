using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Schemas;
using Analytics.Simulator;
using Analytics.Simulator.Scenes;
using Analytics.Tests.Platform;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Analytics.Tests.Simulator;

/// <summary>
/// The simulator registers what its scenes play on in the real database, so their zones satisfy
/// the references the API enforces, and it can do so on every start.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class LayoutWriterTests(PlatformFixture platform)
{
    [Fact]
    public async Task The_scenes_sites_cameras_and_zones_are_registered_and_a_restart_keeps_operator_edits()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new($"ConnectionStrings:{ResourceNames.Database}", await platform.App.GetConnectionStringAsync(ResourceNames.Database))])
            .Build();
        var writer = new LayoutWriter(configuration, NullLogger<LayoutWriter>.Instance);
        var start = DateTimeOffset.UtcNow;
        var scenes = SimulatorSettings.KnownScenes
            .SelectMany(scene => new[] { 1, 2 }.Select(camera => SimulatedScenes.Build(scene, orgId, camera, run: 0, start)))
            .ToList();
        using var api = platform.CreateClient(ResourceNames.Api, key);

        await writer.WriteAsync(orgId, scenes, enableEducation: true, CancellationToken.None);
        using (var renamed = await api.PutAsJsonAsync($"/v1/sites/{SimulatedScenes.SiteOf("store")}", new { name = "Demo store", timeZone = "Europe/Paris" }))
        {
            await ProblemAssert.SucceededAsync(renamed);
        }
        await writer.WriteAsync(orgId, scenes, enableEducation: true, CancellationToken.None);

        // Opted into education once, on the record under the simulator's name.
        Assert.True((await api.GetFromJsonAsync<JsonElement>("/v1/organization/settings")).GetProperty("educationEnabled").GetBoolean());
        var optIns = (await api.GetFromJsonAsync<JsonElement>("/v1/audit?targetType=organization")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([(LayoutWriter.Actor, "organization.education_enabled")], optIns.Select(e => (e.GetProperty("actor").GetString(), e.GetProperty("action").GetString())));
        var sites = await api.GetFromJsonAsync<JsonElement[]>("/v1/sites") ?? [];
        Assert.Equal(
            SimulatorSettings.KnownScenes.Select(SimulatedScenes.SiteOf).Order(StringComparer.Ordinal),
            sites.Select(s => s.GetProperty("siteId").GetString()));
        var store = sites.Single(s => s.GetProperty("siteId").GetString() == SimulatedScenes.SiteOf("store"));
        Assert.Equal("Demo store", store.GetProperty("name").GetString());
        Assert.Equal("Europe/Paris", store.GetProperty("timeZone").GetString());
        var cameras = await api.GetFromJsonAsync<JsonElement[]>("/v1/cameras") ?? [];
        Assert.Equal(
            scenes.Select(s => (s.SiteId, s.CameraId)).Order(),
            cameras.Select(c => (c.GetProperty("siteId").GetString()!, c.GetProperty("cameraId").GetString()!)).Order());
        var zones = await api.GetFromJsonAsync<JsonElement[]>("/v1/zones") ?? [];
        Assert.Equal(
            scenes.SelectMany(s => s.Zones).Select(z => z.ZoneId).Order(StringComparer.Ordinal),
            zones.Select(z => z.GetProperty("zoneId").GetString()).Order(StringComparer.Ordinal));
        Assert.NotEmpty(zones);
    }
}
