using Analytics.Data.Identity;
using Analytics.Schemas.Contracts;
using Analytics.Tenancy;

namespace Analytics.Tests.Tenancy;

public sealed class UserAdministrationTests
{
    private static readonly Guid Me = Guid.NewGuid();

    private static Member Target(string role) => new() { UserId = Guid.NewGuid(), Email = "x@example.com", OrgRole = role };

    [Theory]
    [InlineData(OrgRoles.Owner, OrgRoles.Owner, null)]
    [InlineData(OrgRoles.Owner, OrgRoles.Admin, null)]
    [InlineData(OrgRoles.Admin, OrgRoles.Admin, null)]
    [InlineData(OrgRoles.Admin, OrgRoles.Viewer, null)]
    [InlineData(OrgRoles.Admin, OrgRoles.Owner, 403)]
    [InlineData(OrgRoles.Operator, OrgRoles.Viewer, 403)]
    [InlineData(OrgRoles.Viewer, OrgRoles.Viewer, 403)]
    [InlineData(null, OrgRoles.Viewer, 403)]
    public void Only_owners_and_admins_invite_and_only_owners_make_owners(string? actor, string role, int? status) =>
        Assert.Equal(status, UserAdministration.Invite(actor, role)?.Status);

    [Theory]
    [InlineData(OrgRoles.Owner, OrgRoles.Owner, OrgRoles.Admin, null)]
    [InlineData(OrgRoles.Owner, OrgRoles.Viewer, OrgRoles.Owner, null)]
    [InlineData(OrgRoles.Admin, OrgRoles.Viewer, OrgRoles.Operator, null)]
    [InlineData(OrgRoles.Admin, OrgRoles.Viewer, OrgRoles.Owner, 403)]
    [InlineData(OrgRoles.Admin, OrgRoles.Owner, OrgRoles.Viewer, 403)]
    [InlineData(OrgRoles.Operator, OrgRoles.Viewer, OrgRoles.Viewer, 403)]
    public void An_admin_cannot_touch_or_make_an_owner(string actor, string current, string next, int? status) =>
        Assert.Equal(status, UserAdministration.Change(actor, Me, Target(current), next)?.Status);

    [Fact]
    public void Nobody_changes_or_disables_their_own_account()
    {
        var me = Target(OrgRoles.Owner) with { UserId = Me };

        Assert.Equal(409, UserAdministration.Change(OrgRoles.Owner, Me, me, OrgRoles.Viewer)?.Status);
        Assert.Equal(409, UserAdministration.Disable(OrgRoles.Owner, Me, me)?.Status);
    }

    [Theory]
    [InlineData(OrgRoles.Owner, OrgRoles.Owner, null)]
    [InlineData(OrgRoles.Admin, OrgRoles.Operator, null)]
    [InlineData(OrgRoles.Admin, OrgRoles.Owner, 403)]
    [InlineData(OrgRoles.Viewer, OrgRoles.Viewer, 403)]
    public void Disabling_follows_the_same_rules(string actor, string target, int? status) =>
        Assert.Equal(status, UserAdministration.Disable(actor, Me, Target(target))?.Status);
}
