using Analytics.Data.Tenancy;
using Analytics.OpenApi;
using Analytics.Schemas.Contracts;
using Analytics.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using ValidationProblem = Analytics.Schemas.Contracts.ValidationProblem;

namespace Analytics.Api.Keys;

/// <summary>A key as an admin asks for it: a name to know it by, what it may do, and until when (none: until revoked).</summary>
public sealed record ApiKeyRequest(string Name, string[] Scopes, DateTimeOffset? ExpiresAt = null);

/// <summary>
/// A key of the organization: never its secret. <see cref="Actor"/> is how the key appears in
/// incident histories and the audit trail.
/// </summary>
public sealed record ApiKeyView(
    Guid KeyId, string Name, string Prefix, string[] Scopes, string Actor, DateTimeOffset CreatedAt, string? CreatedBy,
    DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt)
{
    public static ApiKeyView Of(StoredApiKey key) =>
        new(key.KeyId, key.Name, key.Prefix, key.Scopes, ApiKeys.Actor(key.KeyHash), key.CreatedAt, key.CreatedBy, key.ExpiresAt, key.LastUsedAt, key.RevokedAt);
}

/// <summary>The key just made, with its secret: shown here only, never again.</summary>
public sealed record ApiKeyCreated(ApiKeyView Key, string Secret);

/// <summary>
/// The organization's API keys, for edge devices and integrations, managed by owners, admins and
/// keys with the <c>admin</c> scope: create with scopes and an optional expiry (the secret is
/// shown once), list, revoke. A revoked key stops working at once on the instance that revoked
/// it, and within <c>ApiKeys:CacheSeconds</c> everywhere.
/// </summary>
public static class ApiKeysApi
{
    private const string Resource = "API key";
    private const int MaxNameLength = 100;
    private const string AuditTarget = "api_key";

    public static IEndpointRouteBuilder MapApiKeysApi(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/v1/api-keys").RequirePermission(Permission.ManageKeys, Reach.Organization).WithTenantTransaction()
            .WithTag("API keys", "Keys for edge devices and integrations, with scopes (ingest, read, write, admin) and an optional expiry.");

        keys.MapGet("/", ListAsync).WithName("ListApiKeys").WithSummary("The organization's API keys, newest first, revoked ones included");
        keys.MapGet("/{keyId:guid}", GetAsync).WithName("GetApiKey").WithSummary("One API key")
            .ProducesProblem(StatusCodes.Status404NotFound);
        keys.MapPost("/", CreateAsync).WithName("CreateApiKey").WithSummary("Create a key; the answer carries its secret, once");
        keys.MapDelete("/{keyId:guid}", RevokeAsync).WithName("RevokeApiKey").WithSummary("Revoke a key; it stays listed as revoked")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static async Task<Ok<ApiKeyView[]>> ListAsync(HttpContext context, TenantTransaction tenant) =>
        TypedResults.Ok((await ApiKeyStore.ListAsync(tenant.Connection, context.User.OrgId(), context.RequestAborted)).Select(ApiKeyView.Of).ToArray());

    public static async Task<Results<Ok<ApiKeyView>, ProblemHttpResult>> GetAsync(HttpContext context, TenantTransaction tenant, Guid keyId) =>
        await ApiKeyStore.GetAsync(tenant.Connection, context.User.OrgId(), keyId, context.RequestAborted) is { } key
            ? TypedResults.Ok(ApiKeyView.Of(key))
            : Problems.NotFound(Resource, keyId.ToString());

    public static async Task<Results<Created<ApiKeyCreated>, ProblemHttpResult>> CreateAsync(
        HttpContext context, TenantTransaction tenant, TimeProvider clock, ApiKeyRequest request)
    {
        var problems = Validate(request, clock.GetUtcNow());
        // A key that makes keys cannot make one that outlives it, so its expiry ends what it began.
        if (context.User.FindFirst(CallerClaims.KeyExpiresAt)?.Value is { } callerExpiry
            && DateTimeOffset.Parse(callerExpiry, System.Globalization.CultureInfo.InvariantCulture) is var limit
            && (request.ExpiresAt is null || request.ExpiresAt > limit))
        {
            problems.Add(new ValidationProblem("$.expiresAt", $"must be at or before {limit:O}, when the key making it expires"));
        }
        if (problems.Count > 0)
        {
            return Problems.Invalid(Resource, problems);
        }
        var secret = ApiKeys.Generate();
        var hash = ApiKeys.Hash(secret);
        var stored = await ApiKeyStore.CreateAsync(tenant.Connection, new NewApiKey(
            Guid.CreateVersion7(), hash, context.User.OrgId(), request.Name.Trim(), ApiKeys.Prefix(secret),
            [.. request.Scopes.Distinct(StringComparer.Ordinal)], request.ExpiresAt, context.User.Actor()), context.RequestAborted);
        await AuditTrail.RecordAsync(context, tenant, "api_key.created", AuditTarget, stored.KeyId.ToString(), after: ApiKeyView.Of(stored));
        return TypedResults.Created($"/v1/api-keys/{stored.KeyId}", new ApiKeyCreated(ApiKeyView.Of(stored), secret));
    }

    public static async Task<Results<Ok<ApiKeyView>, ProblemHttpResult>> RevokeAsync(
        HttpContext context, TenantTransaction tenant, ApiKeyLookup lookup, Guid keyId)
    {
        if (await ApiKeyStore.RevokeAsync(tenant.Connection, context.User.OrgId(), keyId, context.RequestAborted) is not { } revoked)
        {
            return Problems.NotFound(Resource, keyId.ToString());
        }
        if (revoked.Before.RevokedAt is null)
        {
            await AuditTrail.RecordAsync(context, tenant, "api_key.revoked", AuditTarget, keyId.ToString(), ApiKeyView.Of(revoked.Before), ApiKeyView.Of(revoked.After));
        }
        // Forgotten once the request's transaction has committed, so no request in between
        // remembers the key again as it was.
        context.Response.OnStarting(() =>
        {
            lookup.Forget(revoked.After.KeyHash);
            return Task.CompletedTask;
        });
        return TypedResults.Ok(ApiKeyView.Of(revoked.After));
    }

    private static List<ValidationProblem> Validate(ApiKeyRequest request, DateTimeOffset now)
    {
        var problems = new List<ValidationProblem>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > MaxNameLength)
        {
            problems.Add(new ValidationProblem("$.name", $"is required (1 to {MaxNameLength} characters)"));
        }
        if (request.Scopes is not { Length: > 0 })
        {
            problems.Add(new ValidationProblem("$.scopes", $"must list one or more of {string.Join(", ", ApiKeyScopes.All)}"));
        }
        else
        {
            for (var i = 0; i < request.Scopes.Length; i++)
            {
                if (!ApiKeyScopes.IsKnown(request.Scopes[i]))
                {
                    problems.Add(new ValidationProblem($"$.scopes[{i}]", $"must be one of {string.Join(", ", ApiKeyScopes.All)}, was '{request.Scopes[i]}'"));
                }
            }
        }
        if (request.ExpiresAt is { } expires && expires <= now)
        {
            problems.Add(new ValidationProblem("$.expiresAt", $"must be in the future, was {expires:O}"));
        }
        return problems;
    }
}
