using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Analytics.OpenApi;

/// <summary>
/// The document's own parts: what it describes and under which license, where the service answers,
/// how a caller authenticates, and what each tag groups (<see cref="TagDescriptions"/>).
/// </summary>
internal sealed class ServiceDescription(string title, string description) : IOpenApiDocumentTransformer
{
    public string Title => title;

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = title;
        document.Info.Description = description;
        // The platform is not open source; the identifier is an SPDX reference to its own terms.
        document.Info.License = new OpenApiLicense { Name = "Proprietary", Identifier = "LicenseRef-Proprietary" };

        // The generator names the host the request reached (localhost in development, or whatever a
        // proxy forwarded), with a trailing slash. Relative to the document instead, the server is
        // the one that served it, wherever that is reached from; only a path base is kept.
        var pathBase = document.Servers is [{ Url: { } url }, ..] && Uri.TryCreate(url, UriKind.Absolute, out var served)
            ? served.AbsolutePath.TrimEnd('/')
            : "";
        document.Servers = [new OpenApiServer { Url = pathBase.Length > 0 ? pathBase : "/", Description = "The service that served this document" }];

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes = SecuritySchemes.Definitions();

        var tags = document.Tags ??= new HashSet<OpenApiTag>();
        foreach (var (name, text) in TagDescriptions.Of(context.DescriptionGroups))
        {
            var tag = tags.FirstOrDefault(t => t.Name == name);
            if (tag is null)
            {
                tags.Add(tag = new OpenApiTag { Name = name });
            }
            tag.Description = text;
        }
        return Task.CompletedTask;
    }
}
