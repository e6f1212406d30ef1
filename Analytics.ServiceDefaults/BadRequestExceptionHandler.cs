using System.Text.Json;
using Analytics.Schemas.Contracts;
using Analytics.Schemas.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// A request the framework could not read (malformed or incomplete JSON body, a body over the
/// size limit) is the caller's mistake: answer its status with problem+json saying what was
/// wrong, instead of the 500 an unhandled exception becomes. A JSON value that could not be read
/// (a timestamp that is not RFC 3339, say) is also listed in <c>errors</c> at its JSON path, as
/// the resource APIs list the problems they find, in the same shape (<see cref="ValidationProblems"/>).
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }
        httpContext.Response.StatusCode = badRequest.StatusCode;
        var context = new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = badRequest.StatusCode,
                Title = "The request could not be read",
                Detail = badRequest.InnerException is { } inner ? $"{badRequest.Message} {inner.Message}" : badRequest.Message,
            },
        };
        if (badRequest.InnerException is JsonException { Path: { } path } json && badRequest.StatusCode == StatusCodes.Status400BadRequest)
        {
            // A value the serializer could not read is refused like one the validator refused.
            context.ProblemDetails.Type = ValidationProblems.Type;
            context.ProblemDetails.Title = ValidationProblems.Title;
            context.ProblemDetails.Extensions["errors"] = ValidationProblems.Errors([new ValidationProblem(path, AnalyticsJson.Reason(json.Message))]);
        }
        return await problems.TryWriteAsync(context);
    }

}
