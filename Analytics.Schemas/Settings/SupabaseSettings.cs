using System.ComponentModel.DataAnnotations;

namespace Analytics.Schemas.Settings;

/// <summary>The Supabase (Postgres) database all services share.</summary>
public sealed class SupabaseSettings : IValidatableObject
{
    public const string SectionName = "Supabase";

    /// <summary>Npgsql connection string. The service layer fills it from <c>ConnectionStrings:analytics</c> when empty.</summary>
    [Required]
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>Supabase project URL, for the REST and realtime APIs; optional.</summary>
    [AbsoluteHttpUrl]
    public string? Url { get; set; }

    /// <summary>Supabase API key; optional.</summary>
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
            CrossFieldRules.AtMost(validationContext, nameof(MinPoolSize), MinPoolSize, nameof(MaxPoolSize), MaxPoolSize));
}
