using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Analytics.Schemas;
using Analytics.Schemas.Contracts;

namespace Analytics.Tests.Platform;

/// <summary>
/// The README's permission table, checked on the real platform: every operation of both OpenAPI
/// documents, called by every role, by a key of every scope and by an operator limited to another
/// site, answers as the table says. An operation the table below does not name fails the test, so
/// no endpoint is added without a decision.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class PermissionTests(PlatformFixture platform)
{
    /// <summary>What an operation needs, restated from the README (not read from the code under test).</summary>
    private enum Need { Anyone, Read, Act, Configure, Ingest, ManageUsers, ManageKeys, ReadAudit, ManageOrganization }

    /// <summary>What the operator limited to site-a gets when the operation concerns site-b.</summary>
    private enum OnOtherSite { AsTable, Hidden, Refused }

    private static readonly Dictionary<string, (Need Need, OnOtherSite Limited)> Table = new()
    {
        ["ListSchemas"] = (Need.Anyone, OnOtherSite.AsTable),
        ["GetSchema"] = (Need.Anyone, OnOtherSite.AsTable),
        ["ListSites"] = (Need.Read, OnOtherSite.AsTable),
        ["GetSite"] = (Need.Read, OnOtherSite.Hidden),
        ["PutSite"] = (Need.Configure, OnOtherSite.AsTable),
        ["DeleteSite"] = (Need.Configure, OnOtherSite.AsTable),
        ["ListCameras"] = (Need.Read, OnOtherSite.AsTable),
        ["ListCameraStatus"] = (Need.Read, OnOtherSite.AsTable),
        ["GetCamera"] = (Need.Read, OnOtherSite.Hidden),
        ["PutCamera"] = (Need.Configure, OnOtherSite.AsTable),
        ["DeleteCamera"] = (Need.Configure, OnOtherSite.AsTable),
        ["ListZones"] = (Need.Read, OnOtherSite.AsTable),
        ["GetZone"] = (Need.Read, OnOtherSite.Hidden),
        ["PutZone"] = (Need.Configure, OnOtherSite.AsTable),
        ["DeleteZone"] = (Need.Configure, OnOtherSite.AsTable),
        ["ListIncidents"] = (Need.Read, OnOtherSite.AsTable),
        ["GetIncident"] = (Need.Read, OnOtherSite.Hidden),
        ["CountIncidents"] = (Need.Read, OnOtherSite.AsTable),
        ["GetIncidentOverview"] = (Need.Read, OnOtherSite.AsTable),
        ["AcknowledgeIncident"] = (Need.Act, OnOtherSite.Hidden),
        ["ResolveIncident"] = (Need.Act, OnOtherSite.Hidden),
        ["CommentOnIncident"] = (Need.Act, OnOtherSite.Hidden),
        ["StreamIncidentChanges"] = (Need.Read, OnOtherSite.AsTable),
        ["ListSilences"] = (Need.Read, OnOtherSite.AsTable),
        ["GetSilence"] = (Need.Read, OnOtherSite.Hidden),
        ["CreateSilence"] = (Need.Act, OnOtherSite.Refused),
        ["ExpireSilence"] = (Need.Act, OnOtherSite.Hidden),
        ["ListNotificationRules"] = (Need.Read, OnOtherSite.Refused),
        ["GetNotificationRule"] = (Need.Read, OnOtherSite.Refused),
        ["PutNotificationRule"] = (Need.Configure, OnOtherSite.AsTable),
        ["DeleteNotificationRule"] = (Need.Configure, OnOtherSite.AsTable),
        ["RotateNotificationRuleSecret"] = (Need.Configure, OnOtherSite.AsTable),
        ["TestNotificationRule"] = (Need.Configure, OnOtherSite.AsTable),
        ["ListDeliveries"] = (Need.Read, OnOtherSite.Refused),
        ["GetDelivery"] = (Need.Read, OnOtherSite.Refused),
        ["RedeliverDelivery"] = (Need.Act, OnOtherSite.Refused),
        ["ListDeadLetters"] = (Need.Read, OnOtherSite.Refused),
        ["ListUsers"] = (Need.ManageUsers, OnOtherSite.AsTable),
        ["GetUser"] = (Need.ManageUsers, OnOtherSite.AsTable),
        ["InviteUser"] = (Need.ManageUsers, OnOtherSite.AsTable),
        ["ChangeUser"] = (Need.ManageUsers, OnOtherSite.AsTable),
        ["DisableUser"] = (Need.ManageUsers, OnOtherSite.AsTable),
        ["ListApiKeys"] = (Need.ManageKeys, OnOtherSite.AsTable),
        ["GetApiKey"] = (Need.ManageKeys, OnOtherSite.AsTable),
        ["CreateApiKey"] = (Need.ManageKeys, OnOtherSite.AsTable),
        ["RevokeApiKey"] = (Need.ManageKeys, OnOtherSite.AsTable),
        ["ListAuditEvents"] = (Need.ReadAudit, OnOtherSite.AsTable),
        ["GetOrganizationSettings"] = (Need.Read, OnOtherSite.Refused),
        ["PutOrganizationSettings"] = (Need.ManageOrganization, OnOtherSite.AsTable),
        ["IngestObservations"] = (Need.Ingest, OnOtherSite.AsTable),
    };

    /// <summary>The README's table: the roles and key scopes that may do what each need names.</summary>
    private static bool Allows(string caller, Need need) => need switch
    {
        Need.Anyone => true,
        Need.Read => caller is "owner" or "admin" or "operator" or "viewer" or "operator@site-a" or "key:read",
        Need.Act => caller is "owner" or "admin" or "operator" or "operator@site-a" or "key:write",
        Need.Configure => caller is "owner" or "admin" or "key:write",
        Need.Ingest => caller is "owner" or "admin" or "key:ingest",
        Need.ManageUsers => caller is "owner" or "admin",
        Need.ManageKeys or Need.ReadAudit => caller is "owner" or "admin" or "key:admin",
        Need.ManageOrganization => caller is "owner",
        _ => false,
    };

    [Fact]
    public async Task Every_operation_answers_every_role_and_key_scope_as_the_permission_table_says()
    {
        var world = await OrganizationAsync();
        var operations = (await OperationsAsync(ResourceNames.Api)).Concat(await OperationsAsync(ResourceNames.Ingest)).ToList();
        var undecided = operations.Where(o => !Table.ContainsKey(o.Id)).Select(o => $"{o.Method} {o.Path} ({o.Id})").ToList();
        Assert.True(undecided.Count == 0, "No decision in the permission table for: " + string.Join(", ", undecided));

        var wrong = new List<string>();
        // The limited operator goes first, while every thing of site-b still exists.
        foreach (var (caller, bearer) in world.Callers)
        {
            foreach (var operation in operations)
            {
                var (need, onOtherSite) = Table[operation.Id];
                using var response = await CallAsync(operation, bearer, world);
                var allowed = Allows(caller, need);
                var expected = caller == "operator@site-a" && allowed && onOtherSite != OnOtherSite.AsTable
                    ? (onOtherSite == OnOtherSite.Hidden ? HttpStatusCode.NotFound : HttpStatusCode.Forbidden)
                    : allowed ? (HttpStatusCode?)null : HttpStatusCode.Forbidden;
                var status = response.StatusCode;
                var ok = expected is { } e ? status == e : status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) && (int)status < 500;
                if (!ok)
                {
                    wrong.Add($"{caller} {operation.Method} {operation.Path}: {(int)status}, expected {(expected is { } x ? ((int)x).ToString(System.Globalization.CultureInfo.InvariantCulture) : "allowed")}");
                }
                else if (status == HttpStatusCode.Forbidden)
                {
                    Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                }
            }
        }
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    [Fact]
    public async Task An_operator_limited_to_a_site_sees_only_that_sites_things()
    {
        var world = await OrganizationAsync();
        using var limited = platform.CreateClient(ResourceNames.Api, world.Callers.Single(c => c.Caller == "operator@site-a").Bearer);
        using var everyone = platform.CreateClient(ResourceNames.Api, world.Callers.Single(c => c.Caller == "viewer").Bearer);

        Assert.Equal(["site-a", "site-b"], await IdsAsync(everyone, "/v1/sites", "siteId"));
        Assert.Equal(["site-a"], await IdsAsync(limited, "/v1/sites", "siteId"));
        Assert.Equal(["cam-a"], await IdsAsync(limited, "/v1/cameras", "cameraId"));
        Assert.Equal(["zone-a"], await IdsAsync(limited, "/v1/zones", "zoneId"));
        Assert.Equal(["sil-everywhere", "sil-site-a"], (await IdsAsync(limited, "/v1/silences", "comment")).Order());

        using var incidents = await limited.GetFromJsonAsync<JsonDocument>("/v1/incidents");
        Assert.Equal(["site-a"], incidents!.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("siteId").GetString()).Distinct());
        using var all = await everyone.GetFromJsonAsync<JsonDocument>("/v1/incidents");
        Assert.Equal(["site-a", "site-b"], all!.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("siteId").GetString()).Distinct().Order());
        Assert.Equal(["cam-a"], await IdsAsync(limited, "/v1/cameras/status", "cameraId"));
        Assert.Equal((1L, 2L), ((await ProblemAssert.GetAsync(limited, "/v1/incidents/counts")).GetProperty("total").GetInt64(),
            (await ProblemAssert.GetAsync(everyone, "/v1/incidents/counts")).GetProperty("total").GetInt64()));
        Assert.Equal(["site-a"], (await ProblemAssert.GetAsync(limited, "/v1/incidents/overview")).GetProperty("series").EnumerateArray()
            .Select(s => s.GetProperty("siteId").GetString()));

        // A silence of its own site is the operator's to make.
        using var own = await limited.PostAsJsonAsync("/v1/silences", new { siteId = "site-a", endsAt = DateTimeOffset.UtcNow.AddHours(1) });
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        using var other = await limited.PostAsJsonAsync("/v1/silences", new { siteId = "site-b", endsAt = DateTimeOffset.UtcNow.AddHours(1) });
        await ProblemAssert.IsAsync(other, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_key_answers_only_within_its_scopes_and_a_refusal_changes_nothing()
    {
        var world = await OrganizationAsync();
        using var ingestKey = platform.CreateClient(ResourceNames.Api, world.Keys["ingest"]);
        using var readKey = platform.CreateClient(ResourceNames.Api, world.Keys["read"]);

        using (var incidents = await ingestKey.GetAsync("/v1/incidents"))
        {
            var problem = await ProblemAssert.IsAsync(incidents, HttpStatusCode.Forbidden);
            Assert.Contains("'read'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        using (var write = await readKey.PutAsJsonAsync("/v1/sites/site-c", new { name = "C", timeZone = "Europe/Berlin" }))
        {
            var problem = await ProblemAssert.IsAsync(write, HttpStatusCode.Forbidden);
            Assert.Contains("'write'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        using (var observations = await platform.CreateClient(ResourceNames.Ingest, world.Keys["read"]).PostAsync(
            "/v1/observations", new StringContent("[]", Encoding.UTF8, "application/json")))
        {
            await ProblemAssert.IsAsync(observations, HttpStatusCode.Forbidden);
        }
        Assert.Equal(0L, await platform.ScalarAsync<long>("SELECT count(*) FROM sites WHERE org_id = $1 AND site_id = 'site-c'", world.OrgId));
    }

    private static async Task<List<string>> IdsAsync(HttpClient client, string path, string property)
    {
        using var document = await client.GetFromJsonAsync<JsonDocument>(path);
        return [.. document!.RootElement.EnumerateArray().Select(e => e.GetProperty(property).GetString()!).Order(StringComparer.Ordinal)];
    }

    private sealed record Operation(string Resource, string Method, string Path, string Id, bool HasBody);

    private async Task<List<Operation>> OperationsAsync(string resource)
    {
        using var client = platform.CreateClient(resource);
        using var document = await client.GetFromJsonAsync<JsonDocument>("/openapi/v1.json");
        var operations = new List<Operation>();
        foreach (var path in document!.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var method in path.Value.EnumerateObject().Where(m => m.Name is "get" or "put" or "post" or "delete" or "patch"))
            {
                operations.Add(new Operation(
                    resource, method.Name.ToUpperInvariant(), path.Name, method.Value.GetProperty("operationId").GetString()!,
                    method.Value.TryGetProperty("requestBody", out _)));
            }
        }
        return operations;
    }

    private async Task<HttpResponseMessage> CallAsync(Operation operation, string bearer, World world)
    {
        var path = operation.Path;
        foreach (var (name, value) in world.PathValues)
        {
            path = path.Replace("{" + name + "}", Uri.EscapeDataString(value), StringComparison.Ordinal);
        }
        using var client = platform.CreateClient(operation.Resource, bearer);
        using var request = new HttpRequestMessage(new HttpMethod(operation.Method), path);
        if (operation.HasBody)
        {
            // A body that concerns site-b where the operation's answer depends on it; else enough to
            // be read, so a caller who may do it gets a 400 or a change nobody else relies on.
            request.Content = operation.Id switch
            {
                "CommentOnIncident" => JsonContent.Create(new { comment = "Seen on camera" }),
                "CreateSilence" => JsonContent.Create(new { siteId = "site-b", endsAt = DateTimeOffset.UtcNow.AddHours(1) }),
                "IngestObservations" => new StringContent("[]", Encoding.UTF8, "application/json"),
                _ => new StringContent("{}", Encoding.UTF8, "application/json"),
            };
        }
        // Headers only: a stream (the incident change feed) answers its status and goes on.
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private sealed record World(string OrgId, List<(string Caller, string Bearer)> Callers, Dictionary<string, string> Keys, Dictionary<string, string> PathValues);

    /// <summary>
    /// An organization of the test's own with two sites, each with a camera, a zone, a silence and
    /// an incident; a silence of every site; a notification rule; a user to change; a key to
    /// revoke; and a caller of every role and key scope.
    /// </summary>
    private async Task<World> OrganizationAsync()
    {
        var (orgId, key) = await platform.CreateOrganizationAsync();
        using var api = platform.CreateClient(ResourceNames.Api, key);
        foreach (var site in new[] { "a", "b" })
        {
            await platform.AddCameraAsync(key, $"site-{site}", $"cam-{site}");
            using var zone = await api.PutAsJsonAsync($"/v1/zones/zone-{site}", new
            {
                siteId = $"site-{site}", cameraId = $"cam-{site}", name = "Shelf", kind = "shelf",
                polygon = new[] { new { x = 0.1, y = 0.1 }, new { x = 0.5, y = 0.1 }, new { x = 0.5, y = 0.5 } },
            });
            await ProblemAssert.SucceededAsync(zone);
            using var silence = await api.PostAsJsonAsync("/v1/silences", new { siteId = $"site-{site}", endsAt = DateTimeOffset.UtcNow.AddDays(1), comment = $"sil-site-{site}" });
            await ProblemAssert.SucceededAsync(silence);
            await platform.InsertSignalsAsync(TestSignals.Of(orgId, $"s-{site}", "intrusion", $"zone-{site}", DateTimeOffset.UtcNow.AddMinutes(-1), camera: $"cam-{site}") with { SiteId = $"site-{site}" });
        }
        using (var everywhere = await api.PostAsJsonAsync("/v1/silences", new { kind = "intrusion", endsAt = DateTimeOffset.UtcNow.AddDays(1), comment = "sil-everywhere" }))
        {
            await ProblemAssert.SucceededAsync(everywhere);
        }
        // No site, but a camera of site-b: not the site-a operator's to see.
        using (var cameraOnly = await api.PostAsJsonAsync("/v1/silences", new { cameraId = "cam-b", endsAt = DateTimeOffset.UtcNow.AddDays(1), comment = "sil-cam-b" }))
        {
            await ProblemAssert.SucceededAsync(cameraOnly);
        }
        var silenceB = (await api.GetFromJsonAsync<JsonElement[]>("/v1/silences"))!.Single(s => s.GetProperty("comment").GetString() == "sil-site-b").GetProperty("silenceId").GetString()!;
        var incidents = await Eventually.Until(
            async () => (await api.GetFromJsonAsync<JsonDocument>("/v1/incidents"))!.RootElement.GetProperty("items").EnumerateArray().Select(i => i.Clone()).ToList(),
            items => items.Count == 2, "an incident at each site");
        var incidentB = incidents.Single(i => i.GetProperty("siteId").GetString() == "site-b").GetProperty("id").GetString()!;
        // Testing the rule sends for real: to a loopback port nothing listens on, refused at once,
        // not to a host whose lookup could hold the notifier's dispatcher for its whole timeout.
        using (var rule = await api.PutAsJsonAsync("/v1/notification-rules/rule-1", new { name = "Night", channel = "webhook", url = "http://127.0.0.1:9/analytics", minSeverity = "critical" }))
        {
            await ProblemAssert.SucceededAsync(rule);
        }

        var keys = new Dictionary<string, string>();
        var spareKeyId = "";
        foreach (var scope in ApiKeyScopes.All.Append("spare"))
        {
            using var created = await api.PostAsJsonAsync("/v1/api-keys", new { name = scope, scopes = new[] { scope == "spare" ? "read" : scope } });
            await ProblemAssert.SucceededAsync(created);
            var body = await created.Content.ReadFromJsonAsync<JsonElement>();
            keys[scope] = body.GetProperty("secret").GetString()!;
            spareKeyId = body.GetProperty("key").GetProperty("keyId").GetString()!;
        }
        var target = await platform.AddAsync(orgId, OrgRoles.Viewer);

        List<(string, string)> callers =
        [
            ("operator@site-a", (await platform.AddAsync(orgId, OrgRoles.Operator, "site-a")).AccessToken),
            .. await Task.WhenAll(OrgRoles.All.Select(async role => (role, (await platform.AddAsync(orgId, role)).AccessToken))),
            .. ApiKeyScopes.All.Select(scope => ("key:" + scope, keys[scope])),
        ];
        var pathValues = new Dictionary<string, string>
        {
            ["siteId"] = "site-b", ["cameraId"] = "cam-b", ["zoneId"] = "zone-b", ["incidentId"] = incidentB, ["silenceId"] = silenceB,
            ["ruleId"] = "rule-1", ["deliveryId"] = "missing", ["userId"] = target.UserId.ToString(), ["keyId"] = spareKeyId,
            ["name"] = "Incident",
        };
        return new World(orgId, callers, keys, pathValues);
    }
}
