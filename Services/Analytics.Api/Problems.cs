using System.Globalization;
using Analytics.Data.Registry;
using Microsoft.AspNetCore.Http.HttpResults;
using ValidationProblem = Analytics.Schemas.Contracts.ValidationProblem;

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

    /// <summary>403 for a caller limited to sites who asked for something beyond them.</summary>
    public static ProblemHttpResult OutsideSites(string detail) => TypedResults.Problem(
        statusCode: StatusCodes.Status403Forbidden,
        title: "You are limited to some sites",
        detail: detail);

    /// <summary>409: the request is valid but the current data forbids it.</summary>
    public static ProblemHttpResult Conflict(string title, string detail) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: title,
        detail: detail);

    /// <summary>
    /// Names what is in the way, e.g. "2 cameras (cam-1, cam-2)", or with more than were named,
    /// "12 cameras (cam-1, ..., cam-10 and 2 more)", so a 409 tells the caller what to change.
    /// </summary>
    public static string Describe(References references, string singular, string plural)
    {
        var (total, ids) = (references.Total, references.FirstIds);
        var more = total > ids.Count ? string.Create(CultureInfo.InvariantCulture, $" and {total - ids.Count} more") : "";
        return string.Create(CultureInfo.InvariantCulture, $"{total} {(total == 1 ? singular : plural)} ({string.Join(", ", ids)}{more})");
    }
}
