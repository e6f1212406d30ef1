using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Analytics.Schemas.Serialization;
using Analytics.Schemas.Contracts.Validation;

namespace Analytics.Schemas.Contracts;

/// <summary>
/// Where a notification decision stands. Every incident change that could notify gets one per
/// matching rule (or one <see cref="NoMatchingRule"/>), so "why was I not notified?" always has
/// an answer.
/// </summary>
[JsonConverter(typeof(StrictEnumConverter<DeliveryStatus>))]
public enum DeliveryStatus
{
    /// <summary>Decided to send; the first attempt has not finished yet.</summary>
    [JsonStringEnumMemberName("pending")] Pending,

    /// <summary>An attempt failed; the next one is scheduled at <see cref="Delivery.NextAttemptAt"/>.</summary>
    [JsonStringEnumMemberName("retrying")] Retrying,

    [JsonStringEnumMemberName("sent")] Sent,

    /// <summary>Every attempt of the round failed (Notifier:MaxAttempts of them); nothing more is tried unless someone redelivers it.</summary>
    [JsonStringEnumMemberName("dead_letter")] DeadLetter,

    [JsonStringEnumMemberName("suppressed_silence")] SuppressedSilence,

    /// <summary>Someone had acknowledged the incident already: they know.</summary>
    [JsonStringEnumMemberName("suppressed_acknowledged")] SuppressedAcknowledged,

    [JsonStringEnumMemberName("suppressed_quiet_hours")] SuppressedQuietHours,

    [JsonStringEnumMemberName("suppressed_cooldown")] SuppressedCooldown,

    /// <summary>Over the organization's hourly quota: summarized in the digest <see cref="Delivery.DigestId"/>.</summary>
    [JsonStringEnumMemberName("folded_into_digest")] FoldedIntoDigest,

    /// <summary>No rule of the organization matched; <see cref="Delivery.Reason"/> says why each did not.</summary>
    [JsonStringEnumMemberName("no_matching_rule")] NoMatchingRule,
}

/// <summary>What a delivery is about.</summary>
[JsonConverter(typeof(StrictEnumConverter<DeliveryKind>))]
public enum DeliveryKind
{
    /// <summary>One incident change.</summary>
    [JsonStringEnumMemberName("notification")] Notification,

    /// <summary>The notifications of one rule that went over the quota in one window.</summary>
    [JsonStringEnumMemberName("digest")] Digest,
}

/// <summary>How one attempt to send ended.</summary>
[JsonConverter(typeof(StrictEnumConverter<AttemptOutcome>))]
public enum AttemptOutcome
{
    /// <summary>Under way.</summary>
    [JsonStringEnumMemberName("in_flight")] InFlight,

    [JsonStringEnumMemberName("sent")] Sent,

    /// <summary>Failed; another attempt follows.</summary>
    [JsonStringEnumMemberName("retried")] Retried,

    /// <summary>Failed and was the last attempt.</summary>
    [JsonStringEnumMemberName("failed")] Failed,

    /// <summary>The notifier stopped during the attempt; the receiver may have it, and the retry carries the same idempotency key.</summary>
    [JsonStringEnumMemberName("interrupted")] Interrupted,
}

/// <summary>One entry of the delivery log: a decision about one incident change and one rule, and every attempt to carry it out.</summary>
[Description("A notification decision with its reason and every attempt to send it.")]
public sealed record Delivery
{
    [Id, Description("Delivery id.")]
    public required string DeliveryId { get; init; }

    [Id, Description("Organization it belongs to.")]
    public required string OrgId { get; init; }

    [Description("A notification about one incident change, or a digest.")]
    public required DeliveryKind Kind { get; init; }

    [Description("A test message someone asked for (POST /v1/notification-rules/{ruleId}/test): a notification about a sample incident that exists nowhere, sent through the rule's channel like any other; false for every real notification and digest.")]
    public bool Test { get; init; }

    [Description("Where the decision stands.")]
    public required DeliveryStatus Status { get; init; }

    [Required, MinLength(1), Description("Why, in words: the rule that matched or why none did, what suppressed it, the last error.")]
    public required string Reason { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Incident the change belongs to; absent on digests.")]
    public string? IncidentId { get; init; }

    [Range(1, int.MaxValue), Description("Version of the incident event that was the change; absent on digests.")]
    public int? EventVersion { get; init; }

    [Description("The change: opened, reopened, severityChanged or resolved; absent on digests.")]
    public IncidentEventType? Transition { get; init; }

    [Description("When the change happened, UTC.")]
    public DateTimeOffset? EventAt { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Rule the decision is for; absent when no rule matched.")]
    public string? RuleId { get; init; }

    [Description("Channel of that rule.")]
    public NotificationChannel? Channel { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Silence that suppressed it.")]
    public string? SilenceId { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Digest that carries it, when it went over the quota.")]
    public string? DigestId { get; init; }

    [MaxLength(ContractLimits.MaxIdLength), Description("Key every attempt sends (Idempotency-Key header), so the receiver can drop repeats; absent when nothing is sent.")]
    public string? IdempotencyKey { get; init; }

    [Description("When the notifier decided, UTC.")]
    public required DateTimeOffset DecidedAt { get; init; }

    [Description("When the next attempt is due, UTC, while pending or retrying.")]
    public DateTimeOffset? NextAttemptAt { get; init; }

    [Description("When the receiver accepted it, UTC.")]
    public DateTimeOffset? SentAt { get; init; }

    [Description("W3C traceparent of what caused the incident change; the send span links to it.")]
    public string? TraceParent { get; init; }

    [Description("Every attempt, in order.")]
    public required IReadOnlyList<DeliveryAttempt> Attempts { get; init; }
}

/// <summary>One real request to a receiver (or one SMTP session) and how it ended.</summary>
[Description("One attempt to send a notification.")]
public sealed record DeliveryAttempt
{
    [Range(1, int.MaxValue), Description("Attempt number, from 1; a redelivery goes on counting.")]
    public required int Attempt { get; init; }

    [Range(1, int.MaxValue), Description("Round of attempts it belongs to: 1, and one more for each redelivery of the dead letter (POST /v1/deliveries/{deliveryId}/redeliver).")]
    public int Round { get; init; } = 1;

    [Description("How it ended.")]
    public required AttemptOutcome Outcome { get; init; }

    [Description("When it started, UTC.")]
    public required DateTimeOffset StartedAt { get; init; }

    [Description("When it ended, UTC; absent while in flight or when interrupted.")]
    public DateTimeOffset? FinishedAt { get; init; }

    [Range(100, 599), Description("HTTP status the receiver answered, for webhooks.")]
    public int? HttpStatus { get; init; }

    [MaxLength(ContractLimits.MaxTextLength), Description("What went wrong.")]
    public string? Error { get; init; }
}
