using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Analytics.Schemas.Serialization;
using Analytics.Schemas.Contracts.Validation;

namespace Analytics.Schemas.Contracts;

/// <summary>How a notification reaches people.</summary>
[JsonConverter(typeof(StrictEnumConverter<NotificationChannel>))]
public enum NotificationChannel
{
    /// <summary>A signed JSON POST to the rule's URL (<see cref="NotificationMessage"/>).</summary>
    [JsonStringEnumMemberName("webhook")] Webhook,

    /// <summary>An e-mail to the rule's recipients through the notifier's SMTP server.</summary>
    [JsonStringEnumMemberName("email")] Email,

    /// <summary>A Slack-compatible incoming-webhook message (<c>text</c> and <c>blocks</c>) to the rule's URL.</summary>
    [JsonStringEnumMemberName("slack")] Slack,
}

/// <summary>
/// Who is told about which incidents, and how. A rule matches an incident change when the incident
/// is at least <see cref="MinSeverity"/> and its domain and kind are among those named (none named
/// means all); quiet hours, the cooldown and the organization's hourly quota may still hold the
/// notification back, and the delivery log says so.
/// </summary>
[Description("Who is told about which incidents, and how.")]
[ContractRule<NotificationRuleRule>]
public sealed record NotificationRule
{
    /// <summary>Most e-mail recipients of one rule; more belong on a mailing list.</summary>
    public const int MaxRecipients = 20;

    /// <summary>Longest cooldown: a day. Longer would hide a reopened incident for good.</summary>
    public const int MaxCooldownSeconds = 86400;

    [Id, Description("Organization that owns the rule.")]
    public required string OrgId { get; init; }

    [Id, Description("Rule id, unique within the organization.")]
    public required string RuleId { get; init; }

    [Id, Description("Name shown to operators.")]
    public required string Name { get; init; }

    [Description("How the notification is sent.")]
    public required NotificationChannel Channel { get; init; }

    [MinLength(1), MaxLength(ContractLimits.MaxTextLength), Description("Absolute http(s) URL the webhook or Slack message is posted to; required for those channels, absent for e-mail.")]
    public string? Url { get; init; }

    // The serializer assigns every init-only member, absent ones as null, so the default is
    // restored here; an omitted list means none.
    [MaxLength(MaxRecipients), Description("E-mail addresses; at least one for the e-mail channel, none for the others.")]
    public IReadOnlyList<string> Recipients
    {
        get => _recipients;
        init => _recipients = value ?? [];
    }

    [Description("Least severity an incident must have to notify.")]
    public required Severity MinSeverity { get; init; }

    [Description("Only incidents of these domains; empty or omitted means every domain.")]
    public IReadOnlyList<Domain> Domains
    {
        get => _domains;
        init => _domains = value ?? [];
    }

    [Id, Description("Only incidents of these kinds, e.g. suspected_theft; empty or omitted means every kind.")]
    public IReadOnlyList<string> Kinds
    {
        get => _kinds;
        init => _kinds = value ?? [];
    }

    [Description("Local hours in which nothing is sent; the decision is recorded as suppressed by quiet hours. Omitted: none.")]
    public ActiveHours? QuietHours { get; init; }

    [Range(0, MaxCooldownSeconds), Description("After a notification about an incident, further changes of that incident within this many seconds are recorded as suppressed by cooldown.")]
    public required int CooldownSeconds { get; init; }

    [Description("Whether a resolved incident is notified too.")]
    public required bool NotifyOnResolved { get; init; }

    [Description("A disabled rule notifies nothing; the delivery log names it when no rule matched.")]
    public required bool Enabled { get; init; }

    [Description("When the rule was created, UTC.")]
    public required DateTimeOffset CreatedAt { get; init; }

    [Description("When the rule was last replaced, UTC; not before createdAt.")]
    public required DateTimeOffset UpdatedAt { get; init; }

    private readonly IReadOnlyList<string> _recipients = [];
    private readonly IReadOnlyList<Domain> _domains = [];
    private readonly IReadOnlyList<string> _kinds = [];
}

/// <summary>
/// The target fits the channel: a URL for webhook and Slack, recipients for e-mail, and not the
/// other, so a rule never carries a target that silently goes unused; and a replacement does not
/// predate the rule.
/// </summary>
internal sealed class NotificationRuleRule : IContractRule<NotificationRule>
{
    public void Check(NotificationRule rule, ContractContext context)
    {
        var usesUrl = rule.Channel is NotificationChannel.Webhook or NotificationChannel.Slack;
        if (rule.Url is null)
        {
            if (usesUrl)
            {
                context.Report("url", ContractContext.Invariant($"is required for the {Wire.Name(rule.Channel)} channel"));
            }
        }
        else if (!usesUrl)
        {
            context.Report("url", ContractContext.Invariant($"must be omitted for the {Wire.Name(rule.Channel)} channel, was '{rule.Url}'"));
        }
        else if (rule.Url.Length is >= 1 and <= ContractLimits.MaxTextLength
                 && (!Uri.TryCreate(rule.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            context.Report("url", ContractContext.Invariant($"must be an absolute http or https URL of at most {ContractLimits.MaxTextLength} characters, was '{rule.Url}'"));
        }

        if (rule.Channel == NotificationChannel.Email)
        {
            if (rule.Recipients.Count == 0)
            {
                context.Report("recipients", ContractContext.Invariant($"must hold 1 to {NotificationRule.MaxRecipients} addresses for the email channel, had 0"));
            }
            for (var i = 0; i < rule.Recipients.Count; i++)
            {
                if (rule.Recipients[i] is not null && !IsMailbox(rule.Recipients[i]))
                {
                    context.Report("recipients", i, ContractContext.Invariant($"must be an e-mail address like ops@example.com, was '{rule.Recipients[i]}'"));
                }
            }
        }
        else if (rule.Recipients.Count > 0)
        {
            context.Report("recipients", ContractContext.Invariant($"must be empty for the {Wire.Name(rule.Channel)} channel, had {rule.Recipients.Count}"));
        }

        if (context.IsValidInstant(rule.CreatedAt, notInFuture: false) && context.IsValidInstant(rule.UpdatedAt, notInFuture: false))
        {
            IncidentRule.NotBefore(context, "updatedAt", rule.UpdatedAt, "createdAt", rule.CreatedAt);
        }
    }

    // One address, no display name: "a@b.c" and nothing that parses as a list or a name.
    private static bool IsMailbox(string? value) =>
        !string.IsNullOrWhiteSpace(value) && value.Length <= 254
        && System.Net.Mail.MailAddress.TryCreate(value, out var address) && address.Address == value && address.DisplayName.Length == 0;
}
