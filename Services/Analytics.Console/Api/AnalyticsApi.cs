using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Analytics.Console.Sessions;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;

namespace Analytics.Console.Api;

/// <summary>
/// The platform's public API as the signed-in person calls it: every request carries their access
/// token, so the API decides what they may see and do, exactly as for any other client.
/// </summary>
public sealed class AnalyticsApi(HttpClient http, CurrentSession current)
{
    /// <summary>
    /// The contracts' wire format, and reflection for the API's own answer shapes. A tolerant reader:
    /// the API leaves out null fields, which the contracts' strict settings would take for missing ones.
    /// </summary>
    public static readonly JsonSerializerOptions Json = new(AnalyticsJson.Options)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(AnalyticsJsonContext.Default, new DefaultJsonTypeInfoResolver()),
        RespectRequiredConstructorParameters = false,
    };

    // Incidents

    public Task<Page<Incident>> ListIncidentsAsync(IncidentStatus status, IncidentFilter filter, string? cursor, int limit, CancellationToken cancellationToken) =>
        GetAsync<Page<Incident>>("v1/incidents" + Query(
            ("status", Wire<IncidentStatus>(status)), ("minSeverity", Wire(filter.MinSeverity)), ("domain", Wire(filter.Domain)), ("kind", filter.Kind),
            ("siteId", filter.SiteId), ("cursor", cursor), ("limit", limit.ToString(CultureInfo.InvariantCulture))), cancellationToken);

    public Task<IncidentCounts> CountIncidentsAsync(IncidentFilter filter, CancellationToken cancellationToken) =>
        GetAsync<IncidentCounts>("v1/incidents/counts" + Query(
            ("minSeverity", Wire(filter.MinSeverity)), ("domain", Wire(filter.Domain)), ("kind", filter.Kind), ("siteId", filter.SiteId)), cancellationToken);

    public Task<IncidentOverview> GetIncidentOverviewAsync(int hours, CancellationToken cancellationToken) =>
        GetAsync<IncidentOverview>("v1/incidents/overview" + Query(("hours", hours.ToString(CultureInfo.InvariantCulture))), cancellationToken);

    public Task<IncidentDetail> GetIncidentAsync(string incidentId, CancellationToken cancellationToken) =>
        GetAsync<IncidentDetail>($"v1/incidents/{Uri.EscapeDataString(incidentId)}", cancellationToken);

    public Task AcknowledgeAsync(string incidentId, string? comment, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"v1/incidents/{Uri.EscapeDataString(incidentId)}/acknowledge", new { comment }, cancellationToken);

    public Task ResolveAsync(string incidentId, string? comment, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"v1/incidents/{Uri.EscapeDataString(incidentId)}/resolve", new { comment }, cancellationToken);

    public Task CommentAsync(string incidentId, string comment, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"v1/incidents/{Uri.EscapeDataString(incidentId)}/comments", new { comment }, cancellationToken);

    // Silences

    public Task<Silence[]> ListSilencesAsync(bool all, CancellationToken cancellationToken) =>
        GetAsync<Silence[]>("v1/silences" + Query(("all", all ? "true" : null)), cancellationToken);

    public Task<Silence> CreateSilenceAsync(SilenceRequest silence, CancellationToken cancellationToken) =>
        SendAsync<Silence>(HttpMethod.Post, "v1/silences", silence, cancellationToken);

    public Task EndSilenceAsync(string silenceId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, $"v1/silences/{Uri.EscapeDataString(silenceId)}", null, cancellationToken);

    // Places

    public Task<Site[]> ListSitesAsync(CancellationToken cancellationToken) => GetAsync<Site[]>("v1/sites", cancellationToken);

    /// <summary>The site, or null when the organization has not registered it (incidents may name sites it never registered).</summary>
    public async Task<Site?> FindSiteAsync(string siteId, CancellationToken cancellationToken)
    {
        try
        {
            return await GetAsync<Site>($"v1/sites/{Uri.EscapeDataString(siteId)}", cancellationToken);
        }
        catch (ApiProblemException problem) when (problem.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public Task<Camera[]> ListCamerasAsync(string? siteId, CancellationToken cancellationToken) =>
        GetAsync<Camera[]>("v1/cameras" + Query(("siteId", siteId)), cancellationToken);

    public Task<CameraStatus[]> ListCameraStatusAsync(string? siteId, CancellationToken cancellationToken) =>
        GetAsync<CameraStatus[]>("v1/cameras/status" + Query(("siteId", siteId)), cancellationToken);

    public Task<Camera> GetCameraAsync(string cameraId, CancellationToken cancellationToken) =>
        GetAsync<Camera>($"v1/cameras/{Uri.EscapeDataString(cameraId)}", cancellationToken);

    public Task<Zone> GetZoneAsync(string zoneId, CancellationToken cancellationToken) =>
        GetAsync<Zone>($"v1/zones/{Uri.EscapeDataString(zoneId)}", cancellationToken);

    public Task<Zone[]> ListZonesAsync(string? cameraId, CancellationToken cancellationToken) =>
        GetAsync<Zone[]>("v1/zones" + Query(("cameraId", cameraId)), cancellationToken);

    public Task<Zone> PutZoneAsync(string zoneId, ZoneRequest zone, CancellationToken cancellationToken) =>
        SendAsync<Zone>(HttpMethod.Put, $"v1/zones/{Uri.EscapeDataString(zoneId)}", zone, cancellationToken);

    public Task DeleteZoneAsync(string zoneId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, $"v1/zones/{Uri.EscapeDataString(zoneId)}", null, cancellationToken);

    // Notifications

    public Task<NotificationRule[]> ListNotificationRulesAsync(CancellationToken cancellationToken) =>
        GetAsync<NotificationRule[]>("v1/notification-rules", cancellationToken);

    public Task<NotificationRule> GetNotificationRuleAsync(string ruleId, CancellationToken cancellationToken) =>
        GetAsync<NotificationRule>($"v1/notification-rules/{Uri.EscapeDataString(ruleId)}", cancellationToken);

    public async Task<(NotificationRule Rule, string? SigningSecret)> PutNotificationRuleAsync(
        string ruleId, NotificationRuleRequest rule, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(HttpMethod.Put, $"v1/notification-rules/{Uri.EscapeDataString(ruleId)}", rule, cancellationToken);
        // A new rule (201) comes with the secret its webhooks are signed with, shown this once.
        if (response.StatusCode == HttpStatusCode.Created)
        {
            var created = (await response.Content.ReadFromJsonAsync<NotificationRuleCreated>(Json, cancellationToken))!;
            return (created.Rule, created.SigningSecret);
        }
        return ((await response.Content.ReadFromJsonAsync<NotificationRule>(Json, cancellationToken))!, null);
    }

    public Task DeleteNotificationRuleAsync(string ruleId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, $"v1/notification-rules/{Uri.EscapeDataString(ruleId)}", null, cancellationToken);

    /// <summary>Asks the notifier to send the rule's channel a message marked as a test; the delivery that records it is returned.</summary>
    public Task<DeliveryAccepted> TestNotificationRuleAsync(string ruleId, CancellationToken cancellationToken) =>
        SendAsync<DeliveryAccepted>(HttpMethod.Post, $"v1/notification-rules/{Uri.EscapeDataString(ruleId)}/test", null, cancellationToken);

    /// <summary>Asks the notifier for a fresh round of attempts at a dead letter.</summary>
    public Task<DeliveryAccepted> RedeliverAsync(string deliveryId, CancellationToken cancellationToken) =>
        SendAsync<DeliveryAccepted>(HttpMethod.Post, $"v1/deliveries/{Uri.EscapeDataString(deliveryId)}/redeliver", null, cancellationToken);

    public Task<Page<Delivery>> ListDeliveriesAsync(string? incidentId, string? ruleId, string? cursor, CancellationToken cancellationToken) =>
        GetAsync<Page<Delivery>>("v1/deliveries" + Query(("incidentId", incidentId), ("ruleId", ruleId), ("cursor", cursor)), cancellationToken);

    // Administration

    public Task<UserView[]> ListUsersAsync(CancellationToken cancellationToken) => GetAsync<UserView[]>("v1/users", cancellationToken);

    public Task<InvitationCreated> InviteUserAsync(InvitationRequest invitation, CancellationToken cancellationToken) =>
        SendAsync<InvitationCreated>(HttpMethod.Post, "v1/users/invitations", invitation, cancellationToken);

    public Task<UserView> ChangeUserAsync(Guid userId, MembershipChange change, CancellationToken cancellationToken) =>
        SendAsync<UserView>(HttpMethod.Patch, $"v1/users/{userId}", change, cancellationToken);

    public Task DisableUserAsync(Guid userId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"v1/users/{userId}/disable", null, cancellationToken);

    public Task<ApiKeyView[]> ListApiKeysAsync(CancellationToken cancellationToken) => GetAsync<ApiKeyView[]>("v1/api-keys", cancellationToken);

    public Task<ApiKeyCreated> CreateApiKeyAsync(ApiKeyRequest key, CancellationToken cancellationToken) =>
        SendAsync<ApiKeyCreated>(HttpMethod.Post, "v1/api-keys", key, cancellationToken);

    public Task RevokeApiKeyAsync(Guid keyId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, $"v1/api-keys/{keyId}", null, cancellationToken);

    public Task<Page<AuditEventView>> ListAuditAsync(string? actor, string? targetType, string? cursor, CancellationToken cancellationToken) =>
        GetAsync<Page<AuditEventView>>("v1/audit" + Query(("actor", actor), ("targetType", targetType), ("cursor", cursor)), cancellationToken);

    // The plumbing

    private async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(HttpMethod.Get, path, null, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken))!;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(method, path, body, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken))!;
    }

    private async Task SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(method, path, body, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = await RequestAsync(method, path, body, cancellationToken);
        var response = await http.SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            throw await FailureAsync(response, cancellationToken);
        }
    }

    private async Task<HttpRequestMessage> RequestAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        var token = await current.AccessTokenAsync(cancellationToken) ?? throw new SessionEndedException();
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new("Bearer", token);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }
        return request;
    }

    private static async Task<Exception> FailureAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        response.StatusCode == HttpStatusCode.Unauthorized
            ? new SessionEndedException()
            : await ApiProblemException.ReadAsync(response, cancellationToken);

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var given = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return given.Count == 0 ? "" : "?" + string.Join('&', given);
    }

    /// <summary>An enum as the API spells it on the wire (<c>acknowledged</c>, <c>workArea</c>).</summary>
    public static string? Wire<TEnum>(TEnum? value) where TEnum : struct, Enum =>
        value is { } v ? JsonSerializer.Serialize(v, Json).Trim('"') : null;
}
