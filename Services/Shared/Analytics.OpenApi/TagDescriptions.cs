using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.ApiExplorer;

namespace Analytics.OpenApi;

/// <summary>
/// A tag with what it groups, written beside the endpoints it tags (<c>MapGroup(...).WithTag(...)</c>)
/// instead of in a list far from them, so a new resource cannot come without its description.
/// </summary>
public static class TagDescriptions
{
    /// <summary>A tag's description, carried as endpoint metadata to the document.</summary>
    public sealed record TagDescription(string Name, string Description);

    /// <summary>Tags the endpoints with <paramref name="name"/> and says, for the document, what the tag groups.</summary>
    public static TBuilder WithTag<TBuilder>(this TBuilder builder, string name, string description) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithTags(name);
        builder.WithMetadata(new TagDescription(name, description));
        return builder;
    }

    internal static IEnumerable<(string Name, string Description)> Of(IReadOnlyList<ApiDescriptionGroup> groups) =>
        groups.SelectMany(group => group.Items)
            .SelectMany(description => description.ActionDescriptor.EndpointMetadata.OfType<TagDescription>())
            .Select(tag => (tag.Name, tag.Description))
            .Distinct();
}
