using System.Net;
using System.Text.Json;

namespace Analytics.Console.Api;

/// <summary>
/// The API refused a request: its problem+json, with the validation errors keyed by JSON path
/// (<c>$.polygon</c>), so a form can show each message at the field it concerns.
/// </summary>
public sealed class ApiProblemException(HttpStatusCode status, string title, string? detail, IReadOnlyDictionary<string, string[]> errors)
    : Exception(detail ?? title)
{
    public HttpStatusCode Status { get; } = status;

    public string Title { get; } = title;

    public string? Detail { get; } = detail;

    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;

    /// <summary>A refusal the console itself makes before asking the API, shown at the field like the API's own.</summary>
    public static ApiProblemException AtField(string path, string title, string message) =>
        new(HttpStatusCode.BadRequest, title, null, new Dictionary<string, string[]> { [path] = [message] });

    /// <summary>The API is down, timed out, or answered with something that is not its own.</summary>
    public static ApiProblemException Unreachable(string detail) =>
        new(HttpStatusCode.ServiceUnavailable, "The API cannot be reached", detail, new Dictionary<string, string[]>());

    /// <summary>The messages for one field and what lies under it (<c>$.polygon</c> also gives <c>$.polygon[2].x</c>'s).</summary>
    public IEnumerable<string> For(string path) => Errors
        .Where(e => e.Key == path || e.Key.StartsWith(path + ".", StringComparison.Ordinal) || e.Key.StartsWith(path + "[", StringComparison.Ordinal))
        .SelectMany(e => e.Value);

    internal static async Task<ApiProblemException> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var (title, detail) = (response.ReasonPhrase ?? response.StatusCode.ToString(), (string?)null);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        try
        {
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            var root = problem.RootElement;
            if (root.TryGetProperty("title", out var t) && t.GetString() is { } text)
            {
                title = text;
            }
            detail = root.TryGetProperty("detail", out var d) ? d.GetString() : null;
            if (root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in e.EnumerateObject())
                {
                    errors[field.Name] = [.. field.Value.EnumerateArray().Select(m => m.GetString() ?? "")];
                }
            }
        }
        catch (JsonException)
        {
            // Not problem+json (a proxy's page): the status says enough.
        }
        return new ApiProblemException(response.StatusCode, title, detail, errors);
    }
}

/// <summary>The person's session ended (signed out elsewhere, disabled, idle): they must sign in again.</summary>
public sealed class SessionEndedException() : Exception("Your session ended; sign in again.");
