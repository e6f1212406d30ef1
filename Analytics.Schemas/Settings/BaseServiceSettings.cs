using System.ComponentModel.DataAnnotations;

namespace Analytics.Schemas.Settings;

/// <summary>Settings every service reads.</summary>
public sealed class BaseServiceSettings
{
    public const string SectionName = "Service";

    /// <summary>A check slower than this counts as unhealthy, so a hung dependency does not hang the probe.</summary>
    [Range(1, 60)]
    public int HealthCheckTimeoutSeconds { get; set; } = 3;

    /// <summary>Time given to drain queues and finish in-flight work after a stop signal.</summary>
    [Range(1, 300)]
    public int ShutdownTimeoutSeconds { get; set; } = 15;

    /// <summary>Largest request body a service reads unless an endpoint sets its own (ingest: Ingest:MaxBodyBytes); a larger one is refused with 413.</summary>
    [Range(1024, 67108864)]
    public int MaxRequestBodyBytes { get; set; } = 1024 * 1024;
}
