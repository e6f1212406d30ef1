using Analytics.Schemas.Contracts;

namespace Analytics.Console.Sessions;

/// <summary>
/// The signed-in person as their token describes them. The console hides what the role does not
/// allow; the API refuses it anyway, so this decides only what is shown.
/// </summary>
/// <param name="UserId">The person's id (the token's subject).</param>
/// <param name="Email">The e-mail address they sign in with.</param>
/// <param name="OrgId">Their organization.</param>
/// <param name="Role">owner, admin, operator or viewer.</param>
/// <param name="Sites">The sites the person is limited to; null: every site of the organization.</param>
public sealed record ConsoleUser(string UserId, string Email, string OrgId, string Role, IReadOnlyList<string>? Sites)
{
    /// <summary>Acknowledge, resolve, comment and silence (operators and up).</summary>
    public bool CanAct => Role is OrgRoles.Owner or OrgRoles.Admin or OrgRoles.Operator;

    /// <summary>Sites, cameras, zones and notification rules; users, keys and the audit trail.</summary>
    public bool CanConfigure => Role is OrgRoles.Owner or OrgRoles.Admin;

    /// <summary>Organization-wide screens (notifications, deliveries) are refused to people limited to sites.</summary>
    public bool SeesWholeOrganization => Sites is null;

    /// <summary>How the API writes this person as an actor in histories and the audit trail.</summary>
    public string Actor => $"user:{UserId}";
}
