using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Dapper;
using Npgsql;

namespace Analytics.Data.Notifications;

/// <summary>
/// The owner of <c>notification_rules</c>: each rule's document and its webhook signing secret.
/// The secret must be read back to sign, so it is stored as it is; the API shows it only in the
/// answer that created or rotated it.
/// </summary>
public static class NotificationRuleStore
{
    /// <summary>The rules of these organizations, by organization, each list in rule id order.</summary>
    public static async Task<Dictionary<string, List<NotificationRule>>> ForOrganizationsAsync(
        NpgsqlConnection connection, string[] orgIds, CancellationToken cancellationToken)
    {
        var documents = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT document::text FROM notification_rules WHERE org_id = ANY(@orgIds) ORDER BY org_id, rule_id", new { orgIds }, cancellationToken: cancellationToken));
        var rules = new Dictionary<string, List<NotificationRule>>(StringComparer.Ordinal);
        foreach (var rule in documents.Select(Parse))
        {
            if (!rules.TryGetValue(rule.OrgId, out var list))
            {
                rules[rule.OrgId] = list = [];
            }
            list.Add(rule);
        }
        return rules;
    }

    /// <summary>The rule as it is now, with its secret: a corrected URL or a rotated secret applies to the next attempt.</summary>
    public static async Task<(NotificationRule Rule, string Secret)?> WithSecretAsync(
        NpgsqlDataSource dataSource, string orgId, string ruleId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<RuleRow>(new CommandDefinition(
            "SELECT document::text AS document, signing_secret FROM notification_rules WHERE org_id = @orgId AND rule_id = @ruleId",
            new { orgId, ruleId }, cancellationToken: cancellationToken));
        return row is null ? null : (Parse(row.Document), row.SigningSecret);
    }

    public static async Task<NotificationRule[]> ListAsync(NpgsqlConnection connection, string orgId, CancellationToken cancellationToken)
    {
        var documents = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT document::text FROM notification_rules WHERE org_id = @orgId ORDER BY rule_id", new { orgId }, cancellationToken: cancellationToken));
        return [.. documents.Select(Parse)];
    }

    public static async Task<NotificationRule?> GetAsync(NpgsqlConnection connection, string orgId, string ruleId, CancellationToken cancellationToken)
    {
        return await GetAsync(connection, orgId, ruleId, forUpdate: false, cancellationToken);
    }

    /// <summary>
    /// Creates or replaces a rule. <paramref name="build"/> makes the rule to store from the one
    /// stored now (null when there is none), read under a row lock (held until the caller's
    /// transaction ends) so two writers take turns; it
    /// returns null to store nothing (the rule is refused).
    /// </summary>
    /// <returns>The rule built, and whether it was created with <paramref name="newSecret"/> (false: replaced, the secret stays).</returns>
    public static async Task<(NotificationRule? Rule, bool Created)> PutAsync(
        NpgsqlConnection connection, string orgId, string ruleId, string newSecret, Func<NotificationRule?, NotificationRule?> build, CancellationToken cancellationToken)
    {
        var existing = await GetAsync(connection, orgId, ruleId, forUpdate: true, cancellationToken);
        if (build(existing) is not { } rule)
        {
            return (null, false);
        }
        // A rule created by a concurrent request between the read and this write keeps its secret;
        // the stored secret tells which request created the rule.
        var created = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            """
            INSERT INTO notification_rules (org_id, rule_id, document, signing_secret) VALUES (@orgId, @ruleId, @document::jsonb, @newSecret)
            ON CONFLICT (org_id, rule_id) DO UPDATE SET document = excluded.document
            RETURNING signing_secret = @newSecret
            """,
            new { orgId, ruleId, document = JsonSerializer.Serialize(rule, AnalyticsJsonContext.Default.NotificationRule), newSecret },
            cancellationToken: cancellationToken));
        return (rule, created);
    }

    public static async Task<bool> DeleteAsync(NpgsqlConnection connection, string orgId, string ruleId, CancellationToken cancellationToken)
    {
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM notification_rules WHERE org_id = @orgId AND rule_id = @ruleId", new { orgId, ruleId }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>Replaces the rule's signing secret; false when there is no such rule.</summary>
    public static async Task<bool> RotateSecretAsync(NpgsqlConnection connection, string orgId, string ruleId, string secret, CancellationToken cancellationToken)
    {
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE notification_rules SET signing_secret = @secret WHERE org_id = @orgId AND rule_id = @ruleId",
            new { orgId, ruleId, secret }, cancellationToken: cancellationToken)) > 0;
    }

    private static async Task<NotificationRule?> GetAsync(NpgsqlConnection connection, string orgId, string ruleId, bool forUpdate, CancellationToken cancellationToken)
    {
        var document = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT document::text FROM notification_rules WHERE org_id = @orgId AND rule_id = @ruleId" + (forUpdate ? " FOR UPDATE" : ""),
            new { orgId, ruleId }, cancellationToken: cancellationToken));
        return document is null ? null : Parse(document);
    }

    private static NotificationRule Parse(string document) => JsonSerializer.Deserialize(document, AnalyticsJsonContext.Default.NotificationRule)!;

    private sealed record RuleRow
    {
        public string Document { get; init; } = "";
        public string SigningSecret { get; init; } = "";
    }
}
