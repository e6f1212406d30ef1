using System.Globalization;
using System.Text.Json;
using Analytics.EventLog;
using Analytics.OpenApi;
using Analytics.Schemas;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using ValidationProblem = Analytics.Schemas.Contracts.ValidationProblem;

namespace Analytics.Api.DeadLetters;

/// <summary>An entry of the organization that a consumer could not apply and set aside.</summary>
/// <param name="Id">The dead letter's id.</param>
/// <param name="Consumer">Which consumer set it aside: a rule service (antitheft, safety, education), fusion or the notifier.</param>
/// <param name="Position">Where the entry lies in that consumer's log (transaction id and sequence).</param>
/// <param name="Entry">The entry as stored.</param>
/// <param name="Error">Why it could not be applied.</param>
/// <param name="FailedAt">When it was set aside.</param>
public sealed record DeadLetterView(long Id, string Consumer, string Position, JsonElement Entry, string Error, DateTimeOffset FailedAt);

public sealed record DeadLetterPage(IReadOnlyList<DeadLetterView> Items, string? NextCursor);

/// <summary>
/// The organization's dead letters: entries the rule services, fusion or the notifier could not
/// apply. They went on without them; this is where an operator finds what was left out, and why.
/// </summary>
public static class DeadLettersApi
{
    private const int DefaultLimit = 50;
    private const int MaxLimit = 200;

    public static IEndpointRouteBuilder MapDeadLettersApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1/dead-letters").RequirePermission(Permission.Read, Reach.Organization).WithTenantTransaction()
            .WithTag("Dead letters",
                "Entries of the organization that a consumer (a rule service, fusion, the notifier) could not apply and set aside, with why.")
            .MapGet("/", ListAsync).WithName("ListDeadLetters")
            .WithSummary("Entries of the organization a consumer could not apply and set aside, newest first");
        return app;
    }

    public static async Task<Results<Ok<DeadLetterPage>, ProblemHttpResult>> ListAsync(
        HttpContext context, TenantTransaction tenant, int? limit, string? cursor)
    {
        var errors = new List<ValidationProblem>();
        var (pageSize, after) = ListQuery.Page(limit, cursor, DefaultLimit, MaxLimit, errors);
        long afterId = 0;
        if (after is not null && !long.TryParse(after.Id, NumberStyles.None, CultureInfo.InvariantCulture, out afterId))
        {
            errors.Add(new ValidationProblem("$.cursor", "is not a cursor this API returned"));
        }
        if (errors.Count > 0)
        {
            return Problems.Invalid("query", errors);
        }

        var letters = await Analytics.EventLog.DeadLetters.ListAsync(
            tenant.Connection, context.User.OrgId(), after is null ? null : (after.At, afterId), pageSize + 1, context.RequestAborted);
        var more = letters.Count > pageSize;
        if (more)
        {
            letters.RemoveAt(letters.Count - 1);
        }
        var items = letters.Select(View).ToList();
        // The education service's set-aside entries may hold affect telemetry: reading them is on the record.
        if (items.Where(i => i.Consumer == ResourceNames.Education).Select(i => i.Id).ToArray() is { Length: > 0 } education)
        {
            await AuditTrail.RecordAsync(context, tenant, "education.read", "dead_letters", "list", after: new { deadLetterIds = education });
        }
        return TypedResults.Ok(new DeadLetterPage(
            items, more ? KeysetCursor.Of(letters[^1].FailedAt, letters[^1].Id.ToString(CultureInfo.InvariantCulture)) : null));
    }

    private static DeadLetterView View(DeadLetter letter)
    {
        using var entry = JsonDocument.Parse(letter.Entry);
        return new DeadLetterView(letter.Id, letter.Consumer, letter.Position.ToString(), entry.RootElement.Clone(), letter.Error, letter.FailedAt);
    }
}
