using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Analytics.Schemas;

namespace Analytics.Tests.Platform;

/// <summary>
/// The OpenAPI documents of the API and ingest, as the running services serve them: a standard
/// linter finds nothing wrong with them, and the errors the services really answer are the ones
/// their documents declare.
/// </summary>
[Collection(PlatformCollectionDefinition.Name)]
public sealed class OpenApiDocumentTests(PlatformFixture platform)
{
    private static readonly TimeSpan LintTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Redocly CLI and its configuration; <c>./test.sh</c> installs the pinned version there (<c>npm ci</c>).</summary>
    private static string LinterFolder => Path.Combine(RepositoryPaths.Root, "tools", "openapi-lint");

    [Fact]
    public async Task The_api_and_ingest_documents_pass_redoclys_recommended_rules_without_a_warning()
    {
        var cli = Path.Combine(LinterFolder, "node_modules", "@redocly", "cli", "bin", "cli.js");
        Assert.True(File.Exists(cli), $"Redocly CLI is not installed: run ./test.sh, or npm ci --prefix {LinterFolder}");
        var folder = Directory.CreateTempSubdirectory("openapi-lint-");
        try
        {
            // The names redocly.yaml gives the documents, which the ignore file's entries name too.
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "api.json"), await DocumentTextAsync(ResourceNames.Api));
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "ingest.json"), await DocumentTextAsync(ResourceNames.Ingest));
            foreach (var file in new[] { "redocly.yaml", ".redocly.lint-ignore.yaml" })
            {
                File.Copy(Path.Combine(LinterFolder, file), Path.Combine(folder.FullName, file));
            }

            var (exitCode, output, errors) = await RunNodeAsync(folder.FullName, cli, "lint", "--format=json");

            // One JSON report per document in redocly.yaml, one after the other.
            var reports = new List<LintReport>();
            await foreach (var report in JsonSerializer.DeserializeAsyncEnumerable<LintReport>(
                new MemoryStream(Encoding.UTF8.GetBytes(output)), topLevelValues: true, Json))
            {
                reports.Add(report!);
            }
            var problems = reports.SelectMany(r => r.Problems).Select(Describe).ToList();
            Assert.True(exitCode == 0 && reports.Count == 2 && problems.Count == 0,
                $"Redocly CLI (exit code {exitCode}) found {problems.Count} problem(s):\n{string.Join('\n', problems)}\n{errors}");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(ResourceNames.Api, "GET", "/v1/sites/{siteId}", "/v1/sites/no-such-site", null, HttpStatusCode.NotFound)]
    [InlineData(ResourceNames.Api, "PUT", "/v1/sites/{siteId}", "/v1/sites/s1", "{\"name\":", HttpStatusCode.BadRequest)]
    [InlineData(ResourceNames.Api, "GET", "/v1/incidents", "/v1/incidents?limit=many", null, HttpStatusCode.BadRequest)]
    [InlineData(ResourceNames.Api, "GET", "/v1/incidents/counts", "/v1/incidents/counts?domain=weather", null, HttpStatusCode.BadRequest)]
    [InlineData(ResourceNames.Api, "GET", "/v1/incidents/overview", "/v1/incidents/overview?hours=169", null, HttpStatusCode.BadRequest)]
    [InlineData(ResourceNames.Api, "GET", "/v1/silences", "/v1/silences?all=perhaps", null, HttpStatusCode.BadRequest)]
    [InlineData(ResourceNames.Api, "POST", "/v1/incidents/{incidentId}/resolve", "/v1/incidents/no-such-incident/resolve", "{}", HttpStatusCode.NotFound)]
    [InlineData(ResourceNames.Api, "POST", "/v1/notification-rules/{ruleId}/test", "/v1/notification-rules/no-such-rule/test", null, HttpStatusCode.NotFound)]
    [InlineData(ResourceNames.Api, "POST", "/v1/deliveries/{deliveryId}/redeliver", "/v1/deliveries/no-such-delivery/redeliver", null, HttpStatusCode.NotFound)]
    [InlineData(ResourceNames.Api, "GET", "/v1/schemas/{name}", "/v1/schemas/no-such.schema.json", null, HttpStatusCode.NotFound)]
    [InlineData(ResourceNames.Ingest, "POST", "/v1/observations", "/v1/observations", "[]", HttpStatusCode.BadRequest)]
    public async Task An_error_the_service_answers_is_one_its_document_declares_as_problem_json(
        string service, string method, string template, string path, string? body, HttpStatusCode status)
    {
        var (_, apiKey) = await platform.CreateOrganizationAsync();
        using var client = platform.CreateClient(service, apiKey);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);

        await ProblemAssert.IsAsync(response, status);
        AssertDeclared(await DocumentAsync(service), method, template, status);
    }

    [Fact]
    public async Task A_conflict_and_a_body_over_the_limit_are_answered_as_the_documents_declare()
    {
        var (_, apiKey) = await platform.CreateOrganizationAsync();
        await platform.AddCameraAsync(apiKey, "site-a", "cam-a");
        using var api = platform.CreateClient(ResourceNames.Api, apiKey);
        using var ingest = platform.CreateClient(ResourceNames.Ingest, apiKey);

        using var conflict = await api.DeleteAsync("/v1/sites/site-a");
        // Over Ingest:MaxBodyBytes (4 MiB by default), refused by its length before it is read. Asked
        // first, so the refusal arrives as an answer, not as a connection closed under a half-sent body.
        using var oversized = new HttpRequestMessage(HttpMethod.Post, "/v1/observations")
        {
            Content = new ByteArrayContent(new byte[(4 * 1024 * 1024) + 1]) { Headers = { ContentType = new("application/json") } },
        };
        oversized.Headers.ExpectContinue = true;
        using var tooLarge = await ingest.SendAsync(oversized);

        await ProblemAssert.IsAsync(conflict, HttpStatusCode.Conflict);
        AssertDeclared(await DocumentAsync(ResourceNames.Api), "DELETE", "/v1/sites/{siteId}", HttpStatusCode.Conflict);
        await ProblemAssert.IsAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge);
        AssertDeclared(await DocumentAsync(ResourceNames.Ingest), "POST", "/v1/observations", HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData(ResourceNames.Api, "/v1/sites")]
    [InlineData(ResourceNames.Ingest, "/v1/observations")]
    public async Task Without_credentials_an_operation_answers_the_401_its_document_declares(string service, string path)
    {
        using var client = platform.CreateClient(service);
        var method = service == ResourceNames.Ingest ? "POST" : "GET";
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent("[]", Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);

        await ProblemAssert.IsAsync(response, HttpStatusCode.Unauthorized);
        AssertDeclared(await DocumentAsync(service), method, path, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Every_operation_that_requires_credentials_accepts_an_api_key_or_a_jwt_and_declares_401_403_and_429()
    {
        foreach (var service in new[] { ResourceNames.Api, ResourceNames.Ingest })
        {
            var document = await DocumentAsync(service);
            var schemes = document.GetProperty("components").GetProperty("securitySchemes");
            Assert.Equal("X-Api-Key", schemes.GetProperty("ApiKey").GetProperty("name").GetString());
            Assert.Equal("JWT", schemes.GetProperty("Jwt").GetProperty("bearerFormat").GetString());
            foreach (var (name, operation) in Operations(document))
            {
                var security = operation.GetProperty("security").EnumerateArray().SelectMany(r => r.EnumerateObject().Select(s => s.Name)).ToList();
                if (name.StartsWith("GET /v1/schemas", StringComparison.Ordinal))
                {
                    Assert.Empty(security);
                    continue;
                }
                Assert.Equal(["ApiKey", "Jwt"], security);
                var responses = operation.GetProperty("responses");
                foreach (var status in new[] { "401", "403", "429" })
                {
                    Assert.True(responses.TryGetProperty(status, out var response), $"{service} {name} does not declare {status}");
                    Assert.True(response.GetProperty("content").TryGetProperty("application/problem+json", out _), $"{service} {name}: {status} is not problem+json");
                }
                Assert.True(responses.GetProperty("429").GetProperty("headers").TryGetProperty("Retry-After", out _), $"{service} {name}: 429 without Retry-After");
            }
        }
    }

    [Theory]
    [InlineData(ResourceNames.Api)]
    [InlineData(ResourceNames.Ingest)]
    public async Task The_interactive_reference_is_served_from_the_service_itself(string service)
    {
        using var client = platform.CreateClient(service);

        var page = await client.GetStringAsync("/scalar/");
        using var script = await client.GetAsync("/scalar/scalar.js");

        // Sites run without internet access: the page loads its script from the service, and no fonts from a CDN.
        Assert.Contains("<script src=\"scalar.js\"></script>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", page, StringComparison.Ordinal);
        Assert.Contains("\"withDefaultFonts\":false", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }

    private static void AssertDeclared(JsonElement document, string method, string template, HttpStatusCode status)
    {
        var operation = document.GetProperty("paths").GetProperty(template).GetProperty(method.ToLowerInvariant());
        var code = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(operation.GetProperty("responses").TryGetProperty(code, out var response), $"{method} {template} answered {code}, which its document does not declare");
        Assert.True(response.GetProperty("content").TryGetProperty("application/problem+json", out _), $"{method} {template}: {code} is not declared as problem+json");
    }

    private static IEnumerable<(string Name, JsonElement Operation)> Operations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject().SelectMany(path =>
            path.Value.EnumerateObject().Select(operation => ($"{operation.Name.ToUpperInvariant()} {path.Name}", operation.Value)));

    private async Task<string> DocumentTextAsync(string service)
    {
        using var client = platform.CreateClient(service);
        return await client.GetStringAsync("/openapi/v1.json");
    }

    private async Task<JsonElement> DocumentAsync(string service) =>
        JsonDocument.Parse(await DocumentTextAsync(service)).RootElement;

    private static async Task<(int ExitCode, string Output, string Errors)> RunNodeAsync(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("node", arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Nothing to phone home to here, and no update notice to wait for.
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(LintTimeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"Redocly CLI did not finish within {LintTimeout}: {await errors}");
        }
        return (process.ExitCode, await output, await errors);
    }

    private static string Describe(LintProblem problem) =>
        $"{problem.Severity} {problem.RuleId}: {problem.Message} at {string.Join(", ", problem.Location.Select(l => $"{l.Source?.Ref}{l.Pointer}"))}";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record LintReport(IReadOnlyList<LintProblem> Problems);

    private sealed record LintProblem(string RuleId, string Severity, string Message, IReadOnlyList<LintLocation> Location);

    private sealed record LintLocation(string? Pointer, LintSource? Source);

    private sealed record LintSource(string? Ref);
}
