using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;

namespace Analytics.OpenApi;

/// <summary>
/// Every error an operation can answer, each as problem+json. An endpoint declares the errors its
/// handler gives (<c>.ProducesProblem(404)</c> for an id its organization does not have,
/// <c>.WithProblem(409, "when")</c> for a conflict); the ones the platform gives around every handler come from the endpoint's metadata here,
/// so no endpoint can forget them:
/// <list type="bullet">
/// <item>one that requires authorization: its security (either scheme), 401 (no or unknown
/// credentials), 403 (a role or key scope that does not allow it) and 429 (the organization's or
/// key's rate limit, with <c>Retry-After</c>);</item>
/// <item>one with a body: 400 (a body that cannot be read: the exception handler names what was
/// wrong) and 413 (a body over the size limit, <c>Service:MaxRequestBodyBytes</c>);</item>
/// <item>one with a query, header or route value that is parsed (a number, a flag): 400 when it
/// does not parse. Text values always bind, so they add nothing.</item>
/// </list>
/// </summary>
internal sealed class PlatformResponses : IOpenApiOperationTransformer
{
    public const string ProblemJson = "application/problem+json";

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var document = context.Document ?? throw new InvalidOperationException("The operation transformer needs its document");
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var responses = operation.Responses ??= [];

        if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
        {
            operation.Security = SecuritySchemes.EitherScheme(document);
            responses.TryAdd("401", new OpenApiResponse());
            responses.TryAdd("403", new OpenApiResponse());
            responses.TryAdd("429", new OpenApiResponse());
        }
        else
        {
            // Said outright, so a reader (and a linter) knows the operation is open to anyone.
            operation.Security = [];
        }
        if (operation.RequestBody is not null)
        {
            responses.TryAdd("400", new OpenApiResponse());
            responses.TryAdd("413", new OpenApiResponse());
        }
        if (context.Description.ParameterDescriptions.Any(IsParsed))
        {
            responses.TryAdd("400", new OpenApiResponse());
        }

        foreach (var (code, response) in responses.ToList())
        {
            if (int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var status) && status >= 400)
            {
                responses[code] = await ProblemAsync(status, response, context, document, cancellationToken);
            }
        }
        // Numeric order reads best, and keeps the document the same from one run to the next.
        var ordered = responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        responses.Clear();
        foreach (var (code, response) in ordered)
        {
            responses.Add(code, response);
        }
    }

    private static bool IsParsed(Microsoft.AspNetCore.Mvc.ApiExplorer.ApiParameterDescription parameter) =>
        (parameter.Source == BindingSource.Query || parameter.Source == BindingSource.Header || parameter.Source == BindingSource.Path)
        && parameter.Type is { } type && type != typeof(string);

    /// <summary>
    /// The response as problem+json with its schema (the validation problem's for 400: <c>errors</c>
    /// keyed by JSON path), what the status means on this platform unless the endpoint said more,
    /// and the headers that come with it.
    /// </summary>
    private static async Task<IOpenApiResponse> ProblemAsync(
        int status, IOpenApiResponse declared, OpenApiOperationTransformerContext context, OpenApiDocument document, CancellationToken cancellationToken)
    {
        var schemaType = status == StatusCodes.Status400BadRequest ? typeof(HttpValidationProblemDetails) : typeof(Microsoft.AspNetCore.Mvc.ProblemDetails);
        var response = new OpenApiResponse
        {
            Description = string.IsNullOrEmpty(declared.Description) || declared.Description == ReasonPhrases.GetReasonPhrase(status)
                ? Meanings.GetValueOrDefault(status, ReasonPhrases.GetReasonPhrase(status))
                : declared.Description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [ProblemJson] = new() { Schema = await SchemaAsync(schemaType, context, document, cancellationToken) },
            },
            Headers = declared.Headers is { Count: > 0 } headers ? new Dictionary<string, IOpenApiHeader>(headers) : [],
        };
        if (status is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers.TryAdd("Retry-After", new OpenApiHeader
            {
                Description = "Seconds to wait before sending the request again.",
                Required = true,
                Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0" },
            });
        }
        if (status == StatusCodes.Status401Unauthorized)
        {
            response.Headers.TryAdd("WWW-Authenticate", new OpenApiHeader
            {
                Description = "The scheme to authenticate with: `Bearer`.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }
        return response;
    }

    /// <summary>A reference to the schema of <paramref name="type"/>, added to the document's components the first time.</summary>
    private static async Task<IOpenApiSchema> SchemaAsync(Type type, OpenApiOperationTransformerContext context, OpenApiDocument document, CancellationToken cancellationToken)
    {
        var schemas = (document.Components ??= new OpenApiComponents()).Schemas ??= new Dictionary<string, IOpenApiSchema>();
        if (!schemas.ContainsKey(type.Name))
        {
            schemas[type.Name] = await context.GetOrCreateSchemaAsync(type, null, cancellationToken);
        }
        return new OpenApiSchemaReference(type.Name, document);
    }

    /// <summary>What each error status means on this platform, for a client deciding what to do.</summary>
    private static readonly Dictionary<int, string> Meanings = new()
    {
        [StatusCodes.Status400BadRequest] = "The request was refused and nothing was changed: a body, parameter or header that could not be read or breaks the contract. `errors` lists each problem under its JSON path.",
        [StatusCodes.Status401Unauthorized] = "No credentials, or an API key or token that is unknown, revoked or expired.",
        [StatusCodes.Status403Forbidden] = "The credentials are valid, but their role or the key's scopes do not allow this.",
        [StatusCodes.Status404NotFound] = "Your organization has no such resource; another organization's ids answer the same.",
        [StatusCodes.Status409Conflict] = "The request is valid, but the current state forbids it; `detail` says what is in the way. Nothing was changed.",
        [StatusCodes.Status413PayloadTooLarge] = "The body is larger than this service accepts; nothing of it was read or stored.",
        [StatusCodes.Status429TooManyRequests] = "Your organization or key sent more requests than its rate limit allows; nothing was done. Send again after `Retry-After` seconds.",
        [StatusCodes.Status500InternalServerError] = "A fault of the service; the problem's `traceId` identifies it in a report.",
        [StatusCodes.Status503ServiceUnavailable] = "The service cannot take the request now; nothing of it was stored. Send it again after `Retry-After` seconds.",
    };
}
