using System.Text.Json.Nodes;
using Analytics.OpenApi;
using Analytics.Schemas.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Analytics.Api.Schemas;

/// <summary>
/// The JSON Schema of every contract, generated from the same types the services use, so edge
/// integrators validate against exactly what ingest accepts.
/// </summary>
public static class ContractSchemasApi
{
    private static readonly IReadOnlyDictionary<string, string> Schemas = ContractSchemas.Generate();

    public static IEndpointRouteBuilder MapContractSchemasApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/schemas")
            .WithTag("Schemas",
                "The JSON Schema of every contract, generated from the types the services use; open to anyone, no key needed.");

        api.MapGet("/", ListSchemas)
            .WithName("ListSchemas")
            .WithSummary("Names of the published contract schemas");

        api.MapGet("/{name}", GetSchema)
            .WithName("GetSchema")
            .WithSummary("One contract's JSON Schema (draft 2020-12)")
            .Produces<JsonObject>(StatusCodes.Status200OK, "application/schema+json")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    public static Ok<string[]> ListSchemas() => TypedResults.Ok(Schemas.Keys.Order(StringComparer.Ordinal).ToArray());

    public static Results<ContentHttpResult, ProblemHttpResult> GetSchema(string name) =>
        Schemas.TryGetValue(name, out var schema)
            ? TypedResults.Text(schema, "application/schema+json")
            : TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "No such schema",
                detail: $"There is no schema named '{name}'. GET /v1/schemas lists them.");
}
