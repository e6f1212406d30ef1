using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Hosting;

namespace Analytics.Tests.Platform;

/// <summary>Checks of API answers that show the problem body when they fail.</summary>
public static class ProblemAssert
{
    /// <summary>A 2xx, or a failure that shows what the API said.</summary>
    public static async Task SucceededAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            Assert.Fail($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>Asserts a problem+json answer with <paramref name="status"/> and returns its body.</summary>
    public static async Task<JsonElement> IsAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, was {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    /// <summary>Asserts a 400 problem whose <c>errors</c> are at exactly <paramref name="paths"/>; returns the first message.</summary>
    public static async Task<string> InvalidAtAsync(HttpResponseMessage response, params string[] paths)
    {
        var problem = await IsAsync(response, HttpStatusCode.BadRequest);
        var errors = Errors(problem);
        Assert.Equal(paths, errors.Select(error => error.Path));
        return errors[0].Messages[0];
    }

    /// <summary>
    /// The <c>errors</c> of a 400 in the one shape every service answers: an object keyed by JSON
    /// path, each with its messages; also asserts that shape (<c>type</c>, <c>title</c>, keys, values).
    /// </summary>
    public static List<(string Path, List<string> Messages)> Errors(JsonElement problem)
    {
        Assert.Equal(ValidationProblems.Type, problem.GetProperty("type").GetString());
        Assert.Equal(ValidationProblems.Title, problem.GetProperty("title").GetString());
        var errors = problem.GetProperty("errors");
        Assert.Equal(JsonValueKind.Object, errors.ValueKind);
        var list = errors.EnumerateObject()
            .Select(error => (error.Name, error.Value.EnumerateArray().Select(message => message.GetString()!).ToList()))
            .ToList();
        Assert.All(list, error =>
        {
            Assert.StartsWith("$", error.Item1, StringComparison.Ordinal);
            Assert.NotEmpty(error.Item2);
            Assert.All(error.Item2, message => Assert.False(string.IsNullOrWhiteSpace(message)));
        });
        return list;
    }

    /// <summary>The JSON of a successful GET, or a failure that shows the problem.</summary>
    public static async Task<JsonElement> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        await SucceededAsync(response);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
