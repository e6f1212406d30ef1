using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

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

    public static IEndpointRouteBuilder MapNotificationRulesApi(this IEndpointRouteBuilder app)
    {
        var rules = app.MapGroup("/v1/notification-rules").WithTags("Notification rules").RequireAuthorization();

        rules.MapGet("/", ListAsync).WithName("ListNotificationRules").WithSummary("The organization's notification rules");
        rules.MapGet("/{ruleId}", GetAsync).WithName("GetNotificationRule").WithSummary("One notification rule");
        rules.MapPut("/{ruleId}", PutAsync).WithName("PutNotificationRule")
            .WithSummary("Create a rule (the answer carries its signing secret, once) or replace one (the secret stays)");
        rules.MapDelete("/{ruleId}", DeleteAsync).WithName("DeleteNotificationRule")
            .WithSummary("Delete a rule; its deliveries stay in the log, and those not yet sent become dead letters");
        rules.MapPost("/{ruleId}/secret", RotateSecretAsync).WithName("RotateNotificationRuleSecret")
            .WithSummary("Replace the rule's signing secret and show the new one, once");
        return app;
    }

    public static async Task<Ok<NotificationRule[]>> ListAsync(HttpContext context, NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT document::text FROM notification_rules WHERE org_id = $1 ORDER BY rule_id");
        command.Parameters.Add(new NpgsqlParameter { Value = context.User.OrgId() });
        var rules = new List<NotificationRule>();
        await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
        while (await reader.ReadAsync(context.RequestAborted))
        {
            rules.Add(Parse(reader.GetString(0)));
        }
        return TypedResults.Ok(rules.ToArray());
    }

    public static async Task<Results<Ok<NotificationRule>, ProblemHttpResult>> GetAsync(HttpContext context, NpgsqlDataSource dataSource, string ruleId)
    {
        await using var command = dataSource.CreateCommand("SELECT document::text FROM notification_rules WHERE org_id = $1 AND rule_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = context.User.OrgId() });
        command.Parameters.Add(new NpgsqlParameter { Value = ruleId });
        return await command.ExecuteScalarAsync(context.RequestAborted) is string document
            ? TypedResults.Ok(Parse(document))
            : Problems.NotFound(Resource, ruleId);
    }

    public static async Task<Results<Ok<NotificationRule>, Created<NotificationRuleCreated>, ProblemHttpResult>> PutAsync(
        HttpContext context, NpgsqlDataSource dataSource, TimeProvider clock, string ruleId, NotificationRuleRequest request)
    {
        var orgId = context.User.OrgId();
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(context.RequestAborted);
        await using var transaction = await connection.BeginTransactionAsync(context.RequestAborted);
        NotificationRule? existing = null;
        await using (var read = new NpgsqlCommand("SELECT document::text FROM notification_rules WHERE org_id = $1 AND rule_id = $2 FOR UPDATE", connection))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = orgId });
            read.Parameters.Add(new NpgsqlParameter { Value = ruleId });
            if (await read.ExecuteScalarAsync(context.RequestAborted) is string document)
            {
                existing = Parse(document);
            }
        }

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
        var problems = ContractValidator.Validate(rule, now);
        if (problems.Count > 0)
        {
            return Problems.Invalid(Resource, problems);
        }

        // A rule created by a concurrent request between the read and this write keeps its secret;
        // the stored secret tells which request created the rule.
        var secret = NewSecret();
        bool created;
        await using (var write = new NpgsqlCommand(
            """
            INSERT INTO notification_rules (org_id, rule_id, document, signing_secret) VALUES ($1, $2, $3::jsonb, $4)
            ON CONFLICT (org_id, rule_id) DO UPDATE SET document = excluded.document
            RETURNING signing_secret = $4
            """, connection))
        {
            write.Parameters.Add(new NpgsqlParameter { Value = orgId });
            write.Parameters.Add(new NpgsqlParameter { Value = ruleId });
            write.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(rule, AnalyticsJsonContext.Default.NotificationRule) });
            write.Parameters.Add(new NpgsqlParameter { Value = secret });
            created = await write.ExecuteScalarAsync(context.RequestAborted) is true;
        }
        await transaction.CommitAsync(context.RequestAborted);
        return !created
            ? TypedResults.Ok(rule)
            : TypedResults.Created($"/v1/notification-rules/{Uri.EscapeDataString(ruleId)}", new NotificationRuleCreated(rule, secret));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(HttpContext context, NpgsqlDataSource dataSource, string ruleId)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM notification_rules WHERE org_id = $1 AND rule_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = context.User.OrgId() });
        command.Parameters.Add(new NpgsqlParameter { Value = ruleId });
        return await command.ExecuteNonQueryAsync(context.RequestAborted) > 0 ? TypedResults.NoContent() : Problems.NotFound(Resource, ruleId);
    }

    public static async Task<Results<Ok<NotificationRuleSecret>, ProblemHttpResult>> RotateSecretAsync(
        HttpContext context, NpgsqlDataSource dataSource, string ruleId)
    {
        var secret = NewSecret();
        await using var command = dataSource.CreateCommand("UPDATE notification_rules SET signing_secret = $3 WHERE org_id = $1 AND rule_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = context.User.OrgId() });
        command.Parameters.Add(new NpgsqlParameter { Value = ruleId });
        command.Parameters.Add(new NpgsqlParameter { Value = secret });
        return await command.ExecuteNonQueryAsync(context.RequestAborted) > 0
            ? TypedResults.Ok(new NotificationRuleSecret(ruleId, secret))
            : Problems.NotFound(Resource, ruleId);
    }

    /// <summary>256 random bits, URL-safe, with a prefix that says what it is when it turns up in a log.</summary>
    private static string NewSecret() => "whsec_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    private static NotificationRule Parse(string document) => JsonSerializer.Deserialize(document, AnalyticsJsonContext.Default.NotificationRule)!;
}
