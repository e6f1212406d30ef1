using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc;

namespace Analytics.OpenApi;

public static class ProblemResponses
{
    /// <summary>
    /// Declares that the handler answers <paramref name="statusCode"/> as problem+json, and when, so
    /// the document tells a client more than the status's name: <c>.WithProblem(409, "The site still has cameras")</c>.
    /// </summary>
    public static RouteHandlerBuilder WithProblem(this RouteHandlerBuilder builder, int statusCode, string description) =>
        builder.WithMetadata(new ProducesResponseTypeAttribute(typeof(ProblemDetails), statusCode, PlatformResponses.ProblemJson) { Description = description });
}
