using System.Buffers.Text;
using System.Diagnostics;
using System.Security.Cryptography;
using Analytics.Data.Notifications;
using Analytics.OpenApi;
using Analytics.Schemas.Contracts;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using ValidationProblem = Analytics.Schemas.Contracts.ValidationProblem;

namespace Analytics.Api.Notifications;

/// <summary>A notification rule as a client sends it; the organization comes from the API key, the id from the URL.</summary>
public sealed record NotificationRuleRequest(
    string Name,
    NotificationChannel Channel,
    Severity MinSeverity,
    string? Url = null,
    IReadOnlyList<string>? Recipients = null,
    IReadOnlyList<Domain>? Domains = null,
    IReadOnlyList<string>? Kinds = null,
    ActiveHours? QuietHours = null,
    int CooldownSeconds = NotificationRulesApi.DefaultCooldownSeconds,
    bool NotifyOnResolved = false,
    bool Enabled = true);

/// <summary>
/// A rule just created, with the secret its webhooks are signed with. The secret is shown here
/// only; a lost one is replaced with <c>POST /v1/notification-rules/{ruleId}/secret</c>.
/// </summary>
public sealed record NotificationRuleCreated(NotificationRule Rule, string SigningSecret);

/// <summary>A rule's new signing secret; the old one stops working at once.</summary>
public sealed record NotificationRuleSecret(string RuleId, string SigningSecret);

/// <summary>
/// The caller's notification rules: who is told about which incidents, and how. Scoped to the
/// organization of the API key; another organization's rule ids answer 404.
/// </summary>
public static class NotificationRulesApi
{
    /// <summary>Five minutes: a flapping incident notifies once, a real reopening after a pause again.</summary>
    public const int DefaultCooldownSeconds = 300;

    private const string Resource = "notification rule";
    private const string AuditTarget = "notification_rule";

    public static IEndpointRouteBuilder MapNotificationRulesApi(this IEndpointRouteBuilder app)
    {
        var rules = app.MapGroup("/v1/notification-rules").RequireAuthorization().WithTenantTransaction()
            .WithTag("Notification rules",
                "Who is told about which incidents, and how: webhooks (signed), Slack and e-mail, with quiet hours and a cooldown.");

        rules.MapGet("/", ListAsync).WithName("ListNotificationRules").WithSummary("The organization's notification rules")
            .RequirePermission(Permission.Read, Reach.Organization);
        rules.MapGet("/{ruleId}", GetAsync).WithName("GetNotificationRule").WithSummary("One notification rule")
            .RequirePermission(Permission.Read, Reach.Organization)
            .ProducesProblem(StatusCodes.Status404NotFound);
        rules.MapPut("/{ruleId}", PutAsync).WithName("PutNotificationRule")
            .RequirePermission(Permission.Configure, Reach.Organization)
            .WithSummary("Create a rule (the answer carries its signing secret, once) or replace one (the secret stays)");
        rules.MapDelete("/{ruleId}", DeleteAsync).WithName("DeleteNotificationRule")
            .RequirePermission(Permission.Configure, Reach.Organization)
            .WithSummary("Delete a rule; its deliveries stay in the log, and those not yet sent become dead letters")
            .ProducesProblem(StatusCodes.Status404NotFound);
        rules.MapPost("/{ruleId}/secret", RotateSecretAsync).WithName("RotateNotificationRuleSecret")
            .RequirePermission(Permission.Configure, Reach.Organization)
            .WithSummary("Replace the rule's signing secret and show the new one, once")
            .ProducesProblem(StatusCodes.Status404NotFound);
        // As much as changing the rule: it reaches the rule's receivers, on the organization's behalf.
        rules.MapPost("/{ruleId}/test", TestAsync).WithName("TestNotificationRule")
            .RequirePermission(Permission.Configure, Reach.Organization)
            .WithSummary("Send a test message through the rule's channel, marked as a test; the answer names the delivery that records how it went")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static async Task<Ok<NotificationRule[]>> ListAsync(HttpContext context, TenantTransaction tenant) =>
        TypedResults.Ok(await NotificationRuleStore.ListAsync(tenant.Connection, context.User.OrgId(), context.RequestAborted));

    public static async Task<Results<Ok<NotificationRule>, ProblemHttpResult>> GetAsync(HttpContext context, TenantTransaction tenant, string ruleId) =>
        await NotificationRuleStore.GetAsync(tenant.Connection, context.User.OrgId(), ruleId, context.RequestAborted) is { } rule
            ? TypedResults.Ok(rule)
            : Problems.NotFound(Resource, ruleId);

    public static async Task<Results<Ok<NotificationRule>, Created<NotificationRuleCreated>, ProblemHttpResult>> PutAsync(
        HttpContext context, TenantTransaction tenant, TimeProvider clock, string ruleId, NotificationRuleRequest request)
    {
        var orgId = context.User.OrgId();
        var now = clock.GetUtcNow();
        IReadOnlyList<ValidationProblem> problems = [];
        var secret = NewSecret();
        NotificationRule? before = null;
        var (rule, created) = await NotificationRuleStore.PutAsync(tenant.Connection, orgId, ruleId, secret, existing =>
        {
            before = existing;
            var rule = new NotificationRule
            {
                OrgId = orgId,
                RuleId = ruleId,
                Name = request.Name,
                Channel = request.Channel,
                Url = request.Url,
                Recipients = request.Recipients ?? [],
                MinSeverity = request.MinSeverity,
                Domains = request.Domains ?? [],
                Kinds = request.Kinds ?? [],
                QuietHours = request.QuietHours,
                CooldownSeconds = request.CooldownSeconds,
                NotifyOnResolved = request.NotifyOnResolved,
                Enabled = request.Enabled,
                CreatedAt = existing?.CreatedAt ?? now,
                UpdatedAt = now,
            };
            problems = ContractValidator.Validate(rule, now);
            return problems.Count > 0 ? null : rule;
        }, context.RequestAborted);
        if (rule is null)
        {
            return Problems.Invalid(Resource, problems);
        }
        await AuditTrail.RecordAsync(context, tenant, created ? "notification_rule.created" : "notification_rule.replaced", AuditTarget, ruleId, before, rule);
        return !created
            ? TypedResults.Ok(rule)
            : TypedResults.Created($"/v1/notification-rules/{Uri.EscapeDataString(ruleId)}", new NotificationRuleCreated(rule, secret));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(HttpContext context, TenantTransaction tenant, string ruleId)
    {
        var before = await NotificationRuleStore.GetAsync(tenant.Connection, context.User.OrgId(), ruleId, context.RequestAborted);
        return await NotificationRuleStore.DeleteAsync(tenant.Connection, context.User.OrgId(), ruleId, context.RequestAborted)
            ? await AuditTrail.DeletedAsync(context, tenant, AuditTarget, ruleId, before)
            : Problems.NotFound(Resource, ruleId);
    }

    public static async Task<Results<Ok<NotificationRuleSecret>, ProblemHttpResult>> RotateSecretAsync(
        HttpContext context, TenantTransaction tenant, string ruleId)
    {
        var secret = NewSecret();
        if (!await NotificationRuleStore.RotateSecretAsync(tenant.Connection, context.User.OrgId(), ruleId, secret, context.RequestAborted))
        {
            return Problems.NotFound(Resource, ruleId);
        }
        // What changed is a secret, which is never recorded; that it changed, and by whom, is.
        await AuditTrail.RecordAsync(context, tenant, "notification_rule.secret_rotated", AuditTarget, ruleId);
        return TypedResults.Ok(new NotificationRuleSecret(ruleId, secret));
    }

    /// <summary>
    /// Asks the notifier to send a test message through the rule, as it sends everything: signed,
    /// retried and recorded in the delivery log like a real notification, and marked as a test. The
    /// rule's filters, quiet hours and enabled flag do not apply: the test is of the channel.
    /// </summary>
    public static async Task<Results<Accepted<DeliveryRequested>, ProblemHttpResult>> TestAsync(HttpContext context, TenantTransaction tenant, string ruleId)
    {
        var orgId = context.User.OrgId();
        if (await NotificationRuleStore.GetAsync(tenant.Connection, orgId, ruleId, context.RequestAborted) is null)
        {
            return Problems.NotFound(Resource, ruleId);
        }
        var trace = Activity.Current;
        var deliveryId = await NotificationRequestStore.RequestTestAsync(
            tenant.Connection, orgId, ruleId, context.User.Actor(), trace?.Id, trace?.TraceStateString, context.RequestAborted);
        await AuditTrail.RecordAsync(context, tenant, "notification_rule.tested", AuditTarget, ruleId, after: new { deliveryId });
        return TypedResults.Accepted(DeliveriesApi.Location(deliveryId), new DeliveryRequested(deliveryId));
    }

    /// <summary>256 random bits, URL-safe, with a prefix that says what it is when it turns up in a log.</summary>
    private static string NewSecret() => "whsec_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
