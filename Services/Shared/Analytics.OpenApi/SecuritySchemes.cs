using Analytics.Tenancy;
using Microsoft.OpenApi;

namespace Analytics.OpenApi;

/// <summary>
/// How a caller proves who it is: an organization's API key (edge devices, integrations) or a
/// signed-in user's access token (people, through the console). Every authenticated operation
/// accepts either.
/// </summary>
public static class SecuritySchemes
{
    public const string ApiKey = "ApiKey";
    public const string Jwt = "Jwt";

    /// <summary>The header the API key handler reads; it also takes the key as a bearer token.</summary>
    public const string ApiKeyHeader = ApiKeyAuthenticationHandler.HeaderName;

    internal static Dictionary<string, IOpenApiSecurityScheme> Definitions() => new()
    {
        [ApiKey] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKeyHeader,
            Description = $"Your organization's API key, as `{ApiKeyHeader}: KEY` or as `Authorization: Bearer KEY`.",
        },
        [Jwt] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A signed-in user's access token, as `Authorization: Bearer TOKEN`.",
        },
    };

    /// <summary>Either scheme will do: each requirement in the list is an alternative.</summary>
    internal static List<OpenApiSecurityRequirement> EitherScheme(OpenApiDocument document) =>
    [
        new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKey, document)] = [] },
        new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Jwt, document)] = [] },
    ];
}
