using System.Globalization;
using ValidationProblem = Analytics.Schemas.Contracts.ValidationProblem;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Analytics.Api;

/// <summary>The problem+json answers every resource API gives, so a client handles one shape.</summary>
internal static class Problems
{
    /// <summary>400 listing every problem under its JSON path in <c>errors</c>, readable in <c>detail</c>; the shape ingest answers too.</summary>
    public static ProblemHttpResult Invalid(string resource, IReadOnlyList<ValidationProblem> problems) =>
        ValidationProblems.Result(problems, $"The {resource} was refused: {string.Join("; ", problems)}");

    /// <summary>400 for one field, e.g. a reference to something the organization does not have.</summary>
    public static ProblemHttpResult Invalid(string resource, string path, string message) => Invalid(resource, [new ValidationProblem(path, message)]);

    /// <summary>404; also the answer for another organization's ids, so they do not leak.</summary>
    public static ProblemHttpResult NotFound(string resource, string id) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: $"No such {resource}",
        detail: $"Your organization has no {resource} '{id}'.");

    /// <summary>409: the request is valid but the current data forbids it.</summary>
    public static ProblemHttpResult Conflict(string title, string detail) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: title,
        detail: detail);

    /// <summary>Whether <paramref name="exception"/> is a violation of foreign key <paramref name="constraint"/>.</summary>
    public static bool Violates(this PostgresException exception, string constraint) =>
        exception.SqlState == PostgresErrorCodes.ForeignKeyViolation && exception.ConstraintName == constraint;

    /// <summary>
    /// Names what is in the way, e.g. "2 cameras (cam-1, cam-2)", so a 409 tells the caller what to
    /// change. <paramref name="sql"/> takes the org id as $1 and the referenced id as $2 and returns
    /// the referencing ids in order with their total, e.g. <c>SELECT id, count(*) OVER () ... LIMIT 10</c>.
    /// </summary>
    public static async Task<string> DescribeReferencesAsync(
        NpgsqlDataSource dataSource, string sql, string orgId, string id, string singular, string plural, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = orgId });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        var ids = new List<string>();
        long total = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
            total = reader.GetInt64(1);
        }

        var more = total > ids.Count ? string.Create(CultureInfo.InvariantCulture, $" and {total - ids.Count} more") : "";
        return string.Create(CultureInfo.InvariantCulture, $"{total} {(total == 1 ? singular : plural)} ({string.Join(", ", ids)}{more})");
    }
}
