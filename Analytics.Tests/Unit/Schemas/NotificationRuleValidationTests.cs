using Analytics.Schemas.Contracts;

namespace Analytics.Tests.Schemas;

/// <summary>A notification rule must name a target that fits its channel and valid filters, each problem at its JSON path.</summary>
public sealed class NotificationRuleValidationTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static NotificationRule Webhook() => new()
    {
        OrgId = "org-1",
        RuleId = "ops-hook",
        Name = "Ops webhook",
        Channel = NotificationChannel.Webhook,
        Url = "https://hooks.example.com/analytics",
        MinSeverity = Severity.Medium,
        Domains = [Domain.Antitheft],
        Kinds = ["suspected_theft"],
        QuietHours = new ActiveHours { TimeZone = "Europe/Berlin", Start = new TimeOnly(22, 0), End = new TimeOnly(6, 0) },
        CooldownSeconds = 300,
        NotifyOnResolved = false,
        Enabled = true,
        CreatedAt = Now,
        UpdatedAt = Now,
    };

    [Fact]
    public void Valid_rules_of_every_channel_pass()
    {
        Assert.Empty(ContractValidator.Validate(Webhook(), Now));
        Assert.Empty(ContractValidator.Validate(Webhook() with { Channel = NotificationChannel.Slack, QuietHours = null }, Now));
        Assert.Empty(ContractValidator.Validate(Webhook() with { Channel = NotificationChannel.Email, Url = null, Recipients = ["ops@example.com"] }, Now));
    }

    [Fact]
    public void Every_problem_is_reported_at_its_path()
    {
        var rule = Webhook() with
        {
            Url = "ftp://hooks.example.com",
            Recipients = ["ops@example.com"],
            Kinds = [" "],
            QuietHours = new ActiveHours { TimeZone = "Mars/Olympus", Start = new TimeOnly(22, 0), End = new TimeOnly(6, 0) },
            CooldownSeconds = -1,
            UpdatedAt = Now.AddHours(-1),
        };

        var paths = ContractValidator.Validate(rule, Now).Select(p => p.Path).ToList();

        Assert.Equal(["$.url", "$.recipients", "$.kinds[0]", "$.quietHours.timeZone", "$.cooldownSeconds", "$.updatedAt"], paths);
    }

    [Fact]
    public void Email_needs_valid_recipients_and_no_url()
    {
        var rule = Webhook() with { Channel = NotificationChannel.Email, Recipients = ["ops@example.com", "Ops <ops@example.com>", "not an address"] };

        var problems = ContractValidator.Validate(rule, Now);

        Assert.Equal(["$.url", "$.recipients[1]", "$.recipients[2]"], problems.Select(p => p.Path));
        Assert.Contains(ContractValidator.Validate(rule with { Url = null, Recipients = [] }, Now), p => p.Path == "$.recipients");
        Assert.Contains(ContractValidator.Validate(Webhook() with { Url = null }, Now), p => p.Path == "$.url" && p.Message.Contains("required", StringComparison.Ordinal));
    }
}
