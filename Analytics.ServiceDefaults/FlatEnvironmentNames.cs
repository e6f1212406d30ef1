using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Memory;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Environment variables of the seed system (<c>SUPABASE_URL</c>, <c>SUPABASE_KEY</c>), read as the
/// platform's configuration keys, so an existing deployment's environment keeps working. The
/// platform's own name (<c>Supabase__Url</c>) wins when both are set.
/// </summary>
public static class FlatEnvironmentNames
{
    /// <summary>Each flat name and the configuration key it sets.</summary>
    public static IReadOnlyDictionary<string, string> Keys { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["SUPABASE_URL"] = "Supabase:Url",
        ["SUPABASE_KEY"] = "Supabase:Key",
    };

    /// <summary>
    /// Adds the flat names just below the environment variables, so they override appsettings but
    /// not the platform's own names or the command line.
    /// </summary>
    public static FlatEnvironmentNameUse AddFlatEnvironmentNames(this IConfigurationBuilder configuration)
    {
        var used = Keys
            // Empty counts as unset: compose passes ${SUPABASE_URL:-} through as an empty value.
            .Where(pair => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(pair.Key))
                && Environment.GetEnvironmentVariable(pair.Value.Replace(":", "__", StringComparison.Ordinal)) is null)
            .ToDictionary(pair => pair.Value, pair => pair.Key, StringComparer.OrdinalIgnoreCase);
        var source = new MemoryConfigurationSource
        {
            InitialData = used.Select(pair => KeyValuePair.Create(pair.Key, Environment.GetEnvironmentVariable(pair.Value))),
        };
        var environment = configuration.Sources.ToList().FindIndex(s => s is EnvironmentVariablesConfigurationSource { Prefix: null or "" });
        configuration.Sources.Insert(environment < 0 ? configuration.Sources.Count : environment, source);
        return new FlatEnvironmentNameUse(used);
    }
}

/// <summary>Which configuration keys came from a flat name, so a problem with one can name the variable that was set.</summary>
public sealed class FlatEnvironmentNameUse(IReadOnlyDictionary<string, string> variableByKey)
{
    /// <summary>The problem, followed by the flat variable it came from when the key it names was set by one.</summary>
    public string Annotate(string problem) =>
        variableByKey.FirstOrDefault(pair => problem.StartsWith(pair.Key + " ", StringComparison.OrdinalIgnoreCase)) is { Value: { } variable }
            ? $"{problem} (set as {variable})"
            : problem;
}
