namespace Analytics.Tests.Deployment;

/// <summary>
/// When the sandbox tests report themselves skipped, and what they say: an ordinary user's test run
/// must show them as skipped with the reason, never as failures, and root with bwrap must run them.
/// </summary>
public sealed class SandboxAvailabilityTests
{
    private static Func<string, bool> Installed(params string[] files) => files.Contains;

    [Fact]
    public void Root_with_bwrap_and_setpriv_runs_the_sandbox_tests() =>
        Assert.Null(Sandbox.WhyUnavailable(isRoot: true, Installed("/usr/bin/bwrap", "/usr/bin/setpriv")));

    [Fact]
    public void An_ordinary_user_is_told_the_tests_need_root_to_start_services_as_65532()
    {
        var why = Sandbox.WhyUnavailable(isRoot: false, Installed("/usr/bin/bwrap", "/usr/bin/setpriv"));

        Assert.NotNull(why);
        Assert.Contains("uid 65532", why, StringComparison.Ordinal);
        Assert.Contains("root", why, StringComparison.Ordinal);
        Assert.DoesNotContain("bubblewrap", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_bwrap_is_named_with_what_to_install_even_for_root()
    {
        var why = Sandbox.WhyUnavailable(isRoot: true, Installed("/usr/bin/setpriv"));

        Assert.NotNull(why);
        Assert.Contains("/usr/bin/bwrap is missing: install bubblewrap", why, StringComparison.Ordinal);
        Assert.DoesNotContain("uid 65532", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_reason_is_given_at_once()
    {
        var why = Sandbox.WhyUnavailable(isRoot: false, Installed());

        Assert.NotNull(why);
        Assert.Contains("uid 65532", why, StringComparison.Ordinal);
        Assert.Contains("install bubblewrap", why, StringComparison.Ordinal);
        Assert.Contains("install util-linux", why, StringComparison.Ordinal);
    }
}
