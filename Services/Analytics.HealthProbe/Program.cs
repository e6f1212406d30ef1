// The container health check: GET the URL, exit 0 on a 2xx answer within the timeout, 1 otherwise.
// Usage: Analytics.HealthProbe <url> [timeout seconds, default 4]
using System.Globalization;

if (args.Length is < 1 or > 2
    || !Uri.TryCreate(args[0], UriKind.Absolute, out var url)
    || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
{
    Console.Error.WriteLine("usage: Analytics.HealthProbe <http(s) url> [timeout seconds]");
    return 2;
}
var timeoutSeconds = 4.0;
if (args.Length == 2 && (!double.TryParse(args[1], NumberStyles.Float, CultureInfo.InvariantCulture, out timeoutSeconds) || timeoutSeconds <= 0))
{
    Console.Error.WriteLine($"timeout must be a positive number of seconds, was '{args[1]}'");
    return 2;
}

// The probe's own timeout sits below the orchestrator's, so a hung service is reported as
// unhealthy by this process instead of the probe being killed without a word.
using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(timeoutSeconds) };
try
{
    using var response = await client.GetAsync(url);
    var body = await response.Content.ReadAsStringAsync();
    Console.WriteLine($"{(int)response.StatusCode} {body}");
    return response.IsSuccessStatusCode ? 0 : 1;
}
catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
{
    Console.WriteLine(e is TaskCanceledException ? $"no answer within {timeoutSeconds} s" : e.Message);
    return 1;
}
