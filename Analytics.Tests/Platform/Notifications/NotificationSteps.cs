using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;
using Npgsql;

namespace Analytics.Tests.Platform.Notifications;

/// <summary>What the notification tests do through the API and the database, shared by them.</summary>
public sealed class NotificationSteps(PlatformFixture platform, string orgId, string apiKey)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string OrgId => orgId;

    public string ApiKey => apiKey;

    public HttpClient Api() => platform.CreateClient(ResourceNames.Api, apiKey);

    public static async Task<NotificationSteps> ForNewOrganizationAsync(PlatformFixture platform)
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        return new NotificationSteps(platform, orgId, key);
    }

    public sealed record CreatedRule(NotificationRule Rule, string SigningSecret);

    public sealed record Page(List<Delivery> Items, string? NextCursor);

    /// <summary>Creates a rule through the API; the answer carries its signing secret.</summary>
    public async Task<CreatedRule> CreateRuleAsync(string ruleId, object body)
    {
        using var api = Api();
        using var response = await api.PutAsJsonAsync($"/v1/notification-rules/{ruleId}", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<CreatedRule>(Json))!;
    }

    public Task<CreatedRule> CreateWebhookRuleAsync(string ruleId, string url, int cooldownSeconds = 0) =>
        CreateRuleAsync(ruleId, new { name = ruleId, channel = "webhook", url, minSeverity = "low", cooldownSeconds });

    /// <summary>The delivery log of the organization, newest first, with a query such as <c>?incidentId=...</c>.</summary>
    public async Task<List<Delivery>> DeliveriesAsync(string query = "")
    {
        using var api = Api();
        var separator = query.Length == 0 ? "?" : "&";
        return (await api.GetFromJsonAsync<Page>($"/v1/deliveries{query}{separator}limit=500", Json))!.Items;
    }

    /// <summary>The organization's incidents, through the API.</summary>
    public async Task<List<Incident>> IncidentsAsync()
    {
        using var api = Api();
        return (await api.GetFromJsonAsync<IncidentPage>("/v1/incidents", Json))!.Items;
    }

    private sealed record IncidentPage(List<Incident> Items, string? NextCursor);

    /// <summary>Waits until the notifier has decided every incident event of the organization committed so far.</summary>
    public async Task WaitUntilNotifierCaughtUpAsync()
    {
        const string Sql = """
            SELECT (SELECT (tx_id, seq) FROM consumer_checkpoints WHERE consumer = 'notifier')
                >= (SELECT (tx_id, seq) FROM incident_events WHERE org_id = $1 ORDER BY tx_id DESC, seq DESC LIMIT 1)
            """;
        await Eventually.Until(
            async () => (await platform.QueryAsync(Sql, orgId, r => !r.IsDBNull(0) && r.GetBoolean(0))).Single(),
            caughtUp => caughtUp, "the notifier to decide every incident event");
    }

    /// <summary>Stores signals as a rule service would, with a trace; fusion turns them into incidents.</summary>
    public Task InsertSignalsAsync(params Signal[] signals) =>
        platform.InsertSignalsAsync("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", signals);

    public Signal Signal(string id, string kind, string zone, DateTimeOffset start, double seconds = 5, Severity severity = Severity.Medium) =>
        TestSignals.Of(orgId, id, kind, zone, start, seconds, severity);

    /// <summary>Registers a scene's site, camera and zones through the API, as an operator would.</summary>
    public async Task RegisterSceneAsync(Analytics.Scenes.SceneScript scene)
    {
        await platform.AddCameraAsync(apiKey, scene.SiteId, scene.CameraId);
        using var api = Api();
        foreach (var zone in scene.Zones)
        {
            var body = new { siteId = zone.SiteId, cameraId = zone.CameraId, name = zone.Name, kind = Wire.Name(zone.Kind), polygon = zone.Polygon };
            using var response = await api.PutAsJsonAsync($"/v1/zones/{zone.ZoneId}", body);
            await ProblemAssert.SucceededAsync(response);
        }
    }

    /// <summary>Posts observations to ingest in one batch, as an edge tracker would.</summary>
    public async Task PostObservationsAsync(IReadOnlyList<Observation> observations)
    {
        using var ingest = platform.CreateClient(ResourceNames.Ingest, apiKey);
        var json = JsonSerializer.Serialize(observations, Analytics.Schemas.Serialization.AnalyticsJsonContext.Default.IReadOnlyListObservation);
        using var response = await ingest.PostAsync("/v1/observations", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The trace context stored with an incident event.</summary>
    public async Task<string?> TraceParentOfAsync(string incidentId, int version)
    {
        await using var dataSource = await platform.CreateDataSourceAsync();
        await using var command = dataSource.CreateCommand("SELECT trace_parent FROM incident_events WHERE org_id = $1 AND incident_id = $2 AND version = $3");
        command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        command.Parameters.Add(new NpgsqlParameter { Value = incidentId });
        command.Parameters.Add(new NpgsqlParameter { Value = version });
        return await command.ExecuteScalarAsync() as string;
    }
}
