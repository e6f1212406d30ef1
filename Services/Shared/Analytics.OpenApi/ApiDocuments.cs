using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Scalar.AspNetCore;

namespace Analytics.OpenApi;

/// <summary>
/// The OpenAPI document of a service that takes requests from outside (the API, ingest), served at
/// <c>/openapi/v1.json</c> (<c>MapOpenApi</c>'s own route, which the reference reads) in every
/// environment, and its interactive reference at <see cref="ReferencePath"/> in Development. What
/// each operation can answer comes from its endpoint's metadata (<see cref="PlatformResponses"/>),
/// so the document cannot drift from the code.
/// </summary>
public static class ApiDocuments
{
    public const string ReferencePath = "/scalar";

    /// <param name="builder">The service's builder.</param>
    /// <param name="title">The service's name for people, e.g. "Analytics API".</param>
    /// <param name="description">What the service is for, in a paragraph or two of Markdown.</param>
    public static TBuilder AddApiDocument<TBuilder>(this TBuilder builder, string title, string description) where TBuilder : IHostApplicationBuilder
    {
        var service = new ServiceDescription(title, description);
        builder.Services.AddSingleton(service);
        builder.Services.AddOpenApi(options => options
            .AddTimestampSchemas()
            .AddOperationTransformer(new PlatformResponses())
            .AddDocumentTransformer(service));
        return builder;
    }

    public static WebApplication MapApiDocument(this WebApplication app)
    {
        app.MapOpenApi();
        if (app.Environment.IsDevelopment())
        {
            // Everything the page loads comes from the service itself (the script is inside the
            // package): sites run without internet access, so no fonts from a CDN, no telemetry,
            // no AI agent, and no toolbar of Scalar's hosted services.
            var title = app.Services.GetRequiredService<ServiceDescription>().Title;
            app.MapScalarApiReference(ReferencePath, options => options
                .WithTitle(title)
                .AddPreferredSecuritySchemes(SecuritySchemes.ApiKey)
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .DisableMcp()
                .HideDeveloperTools());
        }
        return app;
    }
}
