using System.Diagnostics;
using System.Text.Json;
using Analytics.Data.Audit;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Analytics.Api;

/// <summary>
/// Records a change or an audited read in the request's transaction, so the change and its record
/// commit together or not at all. Values are stored as the API shows them (its JSON options), so
/// before and after read like the resources themselves; secrets are never passed here.
/// </summary>
internal static class AuditTrail
{
    public static Task RecordAsync(
        HttpContext context, TenantTransaction tenant, string action, string targetType, string targetId, object? before = null, object? after = null)
    {
        var json = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var beforeJson = before is null ? null : JsonSerializer.Serialize(before, before.GetType(), json);
        var afterJson = after is null ? null : JsonSerializer.Serialize(after, after.GetType(), json);
        if (beforeJson is not null && beforeJson == afterJson)
        {
            // A PUT of what was already there changed nothing, so there is nothing to record.
            return Task.CompletedTask;
        }
        return AuditStore.AppendAsync(tenant.Connection, new AuditEvent
        {
            EventId = Guid.CreateVersion7(),
            OrgId = context.User.OrgId(),
            Actor = context.User.Actor(),
            Action = action,
            TargetType = targetType,
            TargetId = targetId,
            Before = beforeJson,
            After = afterJson,
            TraceId = Activity.Current?.TraceId.ToString(),
        }, context.RequestAborted);
    }

    /// <summary>A deletion, recorded with what was deleted; the 204 it answers.</summary>
    public static async Task<NoContent> DeletedAsync(HttpContext context, TenantTransaction tenant, string targetType, string targetId, object? before)
    {
        await RecordAsync(context, tenant, targetType + ".deleted", targetType, targetId, before);
        return TypedResults.NoContent();
    }
}
