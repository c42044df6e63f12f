using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Common;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Server.Console.Pages.Org;

/// <summary>Administration › Users › one user: organization role and stack roles (ChangeMemberRoles), removal (RemoveMembers).</summary>
public sealed class EditUserModel(MemberDetailQuery detail, StackRoleCatalogQuery catalog, ChangeMemberRoles change, RemoveMembers remove,
    Core.Sso.GetSsoSettings sso, Core.Sso.SetMemberSsoAccess ssoAccess) : OrgPageModel
{
    public override string Section => "users";
    public override string Title => Member is { } m ? m.Membership.Email : "Edit user";

    [FromRoute(Name = "shareUid")] public string ShareUid { get; set; } = "";
    [BindProperty] public string? OrgRole { get; set; }
    [BindProperty] public List<string> Grants { get; set; } = [];
    [BindProperty] public string? Confirm { get; set; }
    [BindProperty] public bool AccessWithoutSso { get; set; }

    /// <summary>The organization's SSO settings, when it has any (the "Allow access without SSO" card shows then).</summary>
    public Core.Sso.SsoConfiguration? Sso { get; private set; }
    public string? SsoError { get; private set; }

    public MemberDetail? Member { get; private set; }
    public IReadOnlyList<StackChoice> Stacks { get; private set; } = [];
    public string? Saved { get; private set; }
    public string? ActionError { get; private set; }
    public bool ConfirmingRemoval { get; private set; }

    /// <summary>What a save did, carried to the GET that shows it (post/redirect/get).</summary>
    public sealed record Outcome(string Saved);

    public StackRolePicker Picker => new(Stacks, Grants.ToHashSet(StringComparer.Ordinal), "Stacks and roles",
        "Checked roles are what this user holds after saving; unchecking every role of a stack removes access to it.");

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (await LoadAsync(ct) is { } refused) return refused;
        OrgRole = OrgRoles.NameOf(Member!.Membership.Role);
        Grants = Member.StackRoles.SelectMany(p => p.Value.Select(r => StackRolePicker.Value(p.Key, r))).ToList();
        AccessWithoutSso = Member.Membership.AccessWithoutSso;
        Saved = ReadResult<Outcome>(OrgPath("/users/" + ShareUid))?.Saved;
        return Page();
    }

    /// <summary>"Allow access without SSO" through Core's SetMemberSsoAccess; post/redirect/get.</summary>
    public async Task<IActionResult> OnPostSsoAccessAsync(CancellationToken ct)
    {
        if (await LoadAsync(ct) is { } refused) return refused;
        var email = Member!.Membership.Email;
        var result = await ssoAccess.HandleAsync(OrgUid, ShareUid, AccessWithoutSso, Caller!, ct);
        if (result.IsSuccess)
            return SeeOtherWithResult(OrgPath("/users/" + Uri.EscapeDataString(ShareUid)), OrgPath("/users/" + ShareUid), new Outcome(AccessWithoutSso
                ? $"{email} may now also sign in with a password."
                : $"{email} must now sign in through single sign-on."));
        OrgRole = OrgRoles.NameOf(Member.Membership.Role);
        Grants = Member.StackRoles.SelectMany(p => p.Value.Select(r => StackRolePicker.Value(p.Key, r))).ToList();
        SsoError = result.Error!.Message;
        AccessWithoutSso = Member.Membership.AccessWithoutSso;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (await LoadAsync(ct) is { } refused) return refused;
        var membership = Member!.Membership;
        var role = membership.Role == Core.Organizations.OrgRole.Owner ? null : OrgRole;
        if (role is not (null or "admin" or "member")) { ActionError = "Choose the organization role: Admin or Member."; return Page(); }
        var result = await change.HandleAsync(new ChangeMemberRoles.Request(OrgUid, ShareUid, role, StackRolePicker.ToRequest(Grants, Stacks)), Caller!, ct);
        if (!result.IsSuccess) { ActionError = result.Error!.Message + " Nothing was changed."; return Page(); }
        await LoadAsync(ct);
        var saved = $"Saved. {membership.Email} is now {(Member.Membership.Role == Core.Organizations.OrgRole.Admin ? "an" : "a")} {RoleLabel.Of(Member.Membership.Role)}"
                    + $" with roles in {Member.StackRoles.Count} {(Member.StackRoles.Count == 1 ? "stack" : "stacks")}.";
        var path = OrgPath("/users/" + Uri.EscapeDataString(ShareUid));
        return SeeOtherWithResult(path, OrgPath("/users/" + ShareUid), new Outcome(saved));
    }

    public async Task<IActionResult> OnPostRemoveAsync(CancellationToken ct)
    {
        if (await LoadAsync(ct) is { } refused) return refused;
        OrgRole = OrgRoles.NameOf(Member!.Membership.Role);
        Grants = Member.StackRoles.SelectMany(p => p.Value.Select(r => StackRolePicker.Value(p.Key, r))).ToList();
        if (Confirm != "yes") { ConfirmingRemoval = true; return Page(); }
        var removed = await remove.HandleAsync(new RemoveMembers.Request(OrgUid, [Member.Membership.Email]), Caller!, ct);
        if (!removed.IsSuccess) { ActionError = removed.Error!.Message; return Page(); }
        var gone = Member.Membership;
        // The user no longer exists here: back to the list, which shows what happened.
        return SeeOtherWithResult(OrgPath("/users"), OrgPath("/users"), new UsersModel.Outcome(new ActionSummary("Remove", [new PersonResult(gone.Email, "done",
            gone.Status == MembershipStatus.Pending ? "Invitation revoked; its link no longer works." : "Removed from the organization with every stack role.")]), null));
    }

    private async Task<IActionResult?> LoadAsync(CancellationToken ct)
    {
        var found = await detail.HandleAsync(OrgUid, ShareUid, Caller!, ct);
        if (!found.IsSuccess) return StatusCode(found.Error!.Kind == ErrorKind.Forbidden ? 403 : 404);
        var stacks = await catalog.HandleAsync(OrgUid, Caller!, ct);
        if (!stacks.IsSuccess) return StatusCode(stacks.Error!.Kind == ErrorKind.Forbidden ? 403 : 404);
        Member = found.Value;
        Stacks = stacks.Value;
        var settings = await sso.HandleAsync(OrgUid, Caller!, ct);
        Sso = settings.IsSuccess ? settings.Value.Configuration : null;
        return null;
    }
}
