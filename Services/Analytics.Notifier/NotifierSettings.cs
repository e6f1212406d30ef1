using System.ComponentModel.DataAnnotations;
using Analytics.Schemas.Settings;

namespace Analytics.Notifier;

/// <summary>Delivery of incident notifications by webhook and e-mail.</summary>
public sealed class NotifierSettings : IValidatableObject
{
    public const string SectionName = SettingsSections.Notifier;

    /// <summary>Delivery attempts, the first included, before a notification is given up.</summary>
    [Range(1, 50)]
    public int MaxAttempts { get; set; } = 6;

    /// <summary>Delay before the first retry; later retries back off exponentially.</summary>
    [Range(0.1, 600.0)]
    public double InitialBackoffSeconds { get; set; } = 1;

    /// <summary>Upper bound of the delay between retries.</summary>
    [Range(1.0, 86400.0)]
    public double MaxBackoffSeconds { get; set; } = 300;

    /// <summary>Notifications per organization per hour, so an incident storm does not flood recipients.</summary>
    [Range(1, 100000)]
    public int HourlyQuotaPerOrganization { get; set; } = 100;

    /// <summary>
    /// The hour the quota counts in, in seconds, aligned to the Unix epoch; notifications over the quota
    /// go out as one digest per rule when it closes. Only tests shorten it.
    /// </summary>
    [Range(1, 86400)]
    public int QuotaWindowSeconds { get; set; } = 3600;

    /// <summary>Deliveries sent at once. The next ones are claimed when all of these have ended, so a slow receiver can delay the others by up to its timeout.</summary>
    [Range(1, 256)]
    public int MaxConcurrentDeliveries { get; set; } = 16;

    /// <summary>How long one webhook call may take before it counts as failed.</summary>
    [Range(1, 120)]
    public int WebhookTimeoutSeconds { get; set; } = 10;

    [Required]
    public SmtpSettings Smtp { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        CrossFieldRules.Problems(
            CrossFieldRules.AtLeast(validationContext, nameof(MaxBackoffSeconds), MaxBackoffSeconds, nameof(InitialBackoffSeconds), InitialBackoffSeconds));
}

/// <summary>The mail server the notifier sends e-mail through.</summary>
public sealed class SmtpSettings
{
    public const string SectionName = NotifierSettings.SectionName + ":Smtp";

    /// <summary>SMTP server host name.</summary>
    [Required]
    public string Host { get; set; } = "localhost";

    /// <summary>SMTP server port.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 25;

    /// <summary>Sender address of notification e-mails.</summary>
    [Required, EmailAddress]
    public string From { get; set; } = "alerts@analytics.local";

    /// <summary>Upgrade the SMTP connection with STARTTLS.</summary>
    public bool UseStartTls { get; set; }

    /// <summary>How long one SMTP session (connect, send, quit) may take before it counts as failed.</summary>
    [Range(1, 300)]
    public int TimeoutSeconds { get; set; } = 30;
}
