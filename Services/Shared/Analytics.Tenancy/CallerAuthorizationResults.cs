using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace Analytics.Tenancy;

/// <summary>
/// Writes a refusal as problem+json that says what was missing (the role or scope the operation
/// needs), which the authentication handlers' own 403 cannot know; everything else as usual.
/// </summary>
internal sealed class CallerAuthorizationResults(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure?.FailureReasons.FirstOrDefault() is { } reason)
        {
            return CallerProblems.WriteForbiddenAsync(context, problems, reason.Message);
        }
        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
