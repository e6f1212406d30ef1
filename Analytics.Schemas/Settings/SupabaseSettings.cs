using System.ComponentModel.DataAnnotations;
using System.Data.Common;

namespace Analytics.Schemas.Settings;

/// <summary>The Supabase (Postgres) database all services share.</summary>
public sealed class SupabaseSettings : IValidatableObject
{
    public const string SectionName = "Supabase";

    /// <summary>Npgsql connection string. The service layer fills it from <c>ConnectionStrings:analytics</c> when empty.</summary>
    [Required]
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>Supabase project URL, for the REST and realtime APIs; optional. The seed system's SUPABASE_URL sets it too.</summary>
    [AbsoluteHttpUrl]
    public string? Url { get; set; }

    /// <summary>Supabase API key; optional. The seed system's SUPABASE_KEY sets it too.</summary>
    public string? Key { get; set; }

    /// <summary>Connections each service keeps open even when idle.</summary>
    [Range(0, 1000)]
    public int MinPoolSize { get; set; }

    /// <summary>Most connections one service opens; bounds the load on the database.</summary>
    [Range(1, 1000)]
    public int MaxPoolSize { get; set; } = 50;

    /// <summary>How long one database command may run before it is cancelled.</summary>
    [Range(1, 3600)]
    public int CommandTimeoutSeconds { get; set; } = 30;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        CrossFieldRules.Problems(
            CrossFieldRules.AtMost(validationContext, nameof(MinPoolSize), MinPoolSize, nameof(MaxPoolSize), MaxPoolSize),
            ConnectionStringProblem(validationContext));

    // A URI (postgresql://...) or a stray value would otherwise fail only when the data source is
    // built, with a stack trace. The value is not echoed: it holds the password.
    private ValidationResult? ConnectionStringProblem(ValidationContext context)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            return null;
        }
        try
        {
            _ = new DbConnectionStringBuilder { ConnectionString = ConnectionString };
            return null;
        }
        catch (ArgumentException)
        {
            return new ValidationResult(
                $"{SettingsValidator.KeyOf(context, nameof(ConnectionString))} must be key=value pairs separated by ';' (Host=...;Database=...;Username=...), not a URL",
                [nameof(ConnectionString)]);
        }
    }
}
