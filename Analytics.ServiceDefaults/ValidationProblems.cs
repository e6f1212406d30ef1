using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using ValidationProblem = Analytics.Schemas.Contracts.ValidationProblem;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The one 400 every service answers a refused request with, so a client (an edge device, the
/// console) handles one shape: the RFC 9110 bad-request <c>type</c>, one <c>title</c>, a
/// <c>detail</c> naming what was refused, and <c>errors</c> keyed by JSON path, each path with its
/// messages in the order they were found (the shape of ASP.NET Core's validation problems).
/// </summary>
public static class ValidationProblems
{
    public const string Type = "https://tools.ietf.org/html/rfc9110#section-15.5.1";

    // The same for every occurrence, as RFC 9457 asks of a title; what was refused goes in detail.
    public const string Title = "The request was refused; nothing of it was stored or changed";

    /// <summary>The 400 for <paramref name="problems"/>.</summary>
    /// <param name="problems">Every problem found, each at its JSON path.</param>
    /// <param name="detail">What was refused and what to do, e.g. "3 problem(s); fix them and send the whole batch again."</param>
    public static ProblemHttpResult Result(IReadOnlyList<ValidationProblem> problems, string detail) => TypedResults.Problem(
        statusCode: StatusCodes.Status400BadRequest,
        type: Type,
        title: Title,
        detail: detail,
        extensions: new Dictionary<string, object?> { ["errors"] = Errors(problems) });

    /// <summary>The problems keyed by JSON path, paths in the order first found.</summary>
    public static Dictionary<string, string[]> Errors(IEnumerable<ValidationProblem> problems)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var group in problems.GroupBy(problem => problem.Path, StringComparer.Ordinal))
        {
            errors[group.Key] = [.. group.Select(problem => problem.Message)];
        }
        return errors;
    }
}
