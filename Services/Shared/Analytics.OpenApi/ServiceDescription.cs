using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Analytics.OpenApi;

/// <summary>
/// The document's own parts: who it describes and under which licence, where the service answers,
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

        // The generator names the server the request reached, with a trailing slash that would make
        // every path a client joins to it start with two.
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/');
        }

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
