using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Settings;

namespace Analytics.Consumers;

/// <summary>
/// When a checkpointed consumer (a rule service, fusion, the notifier) reports itself degraded on
/// <c>/health</c>. The consumer keeps working either way; degraded says a person should look.
/// </summary>
public sealed class ConsumerSettings
{
    public const string SectionName = SettingsSections.Consumers;

    /// <summary>Degraded while the consumer has not caught up with its log for longer than this.</summary>
    [Range(1, 86400)]
    public int MaxLagSeconds { get; set; } = 120;

    /// <summary>Degraded when it restarted this often within the last Consumers:DegradedWindowSeconds.</summary>
    [Range(1, 1000)]
    public int RestartsBeforeDegraded { get; set; } = 3;

    /// <summary>How long a restart or a dead-lettered entry counts towards degraded.</summary>
    [Range(1, 86400)]
    public int DegradedWindowSeconds { get; set; } = 900;
}
