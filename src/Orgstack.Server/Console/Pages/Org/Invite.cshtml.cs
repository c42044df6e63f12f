using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Common;
using Orgstack.Core.Invitations;
using Orgstack.Core.Members;

namespace Orgstack.Server.Console.Pages.Org;

/// <summary>Administration › Users › Invite: several addresses, one organization role (required) and stack roles, through Core's InviteMembers.</summary>
public sealed class InviteModel(InviteMembers invite, StackRoleCatalogQuery catalog, OrgstackOptions options, Core.Sso.GetSsoSettings sso) : OrgPageModel
{
    public override string Section => "users";
    public override string Title => "Invite users";

    [BindProperty] public string? Addresses { get; set; }
    [BindProperty] public string? OrgRole { get; set; }
    [BindProperty] public List<string> Grants { get; set; } = [];
    [BindProperty] public bool AccessWithoutSso { get; set; }

    /// <summary>"Allow access without SSO" is offered for organizations with SSO and without strict mode.</summary>
    public bool OffersAccessWithoutSso { get; private set; }

    public IReadOnlyList<StackChoice> Stacks { get; private set; } = [];
    public Dictionary<string, string> FieldErrors { get; } = [];
    public IReadOnlyList<PersonResult>? Results { get; private set; }
    /// <summary>Invited and total address counts of the last send (the list of results may be shortened).</summary>
    public int InvitedCount { get; private set; }
    public int TotalCount { get; private set; }

    /// <summary>What a send did, carried to the GET that shows it (post/redirect/get). Long sends keep every refusal and a few successes.</summary>
    public sealed record Outcome(IReadOnlyList<PersonResult> Results, int Invited, int Total, string Addresses, string? Role, List<string> Grants, bool AccessWithoutSso = false);

    private const int ShownResults = 100;
    public int MaxAddresses => options.Invitations.MaxAddressesPerRequest;

    public StackRolePicker Picker => new(Stacks, Grants.ToHashSet(StringComparer.Ordinal), "Stacks and roles",
        "Choose the stacks to give access to and the roles in each. Leave empty for organization access only.");

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (await LoadAsync(ct) is { } refused) return refused;
        if (ReadResult<Outcome>(OrgPath("/users/invite")) is { } outcome)
        {
            Results = outcome.Results;
            InvitedCount = outcome.Invited;
            TotalCount = outcome.Total;
            Addresses = outcome.Addresses;
            OrgRole = outcome.Role;
            Grants = outcome.Grants;
            AccessWithoutSso = outcome.AccessWithoutSso;
        }
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (await LoadAsync(ct) is { } refused) return refused;
        var addresses = Split(Addresses);
        if (addresses.Count == 0) FieldErrors["Addresses"] = "Enter at least one email address.";
        else if (addresses.Count > MaxAddresses) FieldErrors["Addresses"] = $"At most {MaxAddresses:N0} addresses at once.";
        if (OrgRole is not ("admin" or "member")) FieldErrors["OrgRole"] = "Choose the organization role: Admin or Member.";
        if (FieldErrors.Count > 0) return Page();

        var stacks = StackRolePicker.ToRequest(Grants);
        var invitees = addresses.Select(a => new InviteMembers.Invitee(a, [OrgRole!], stacks.Count == 0 ? null : stacks)).ToList();
        var result = await invite.HandleAsync(new InviteMembers.Request(OrgUid, invitees, null, AccessWithoutSso), Caller!, ct);
        if (!result.IsSuccess)
        {
            FieldErrors[result.Error!.Code.StartsWith("sso.", StringComparison.Ordinal) ? "AccessWithoutSso" : "Addresses"] = result.Error!.Message;
            return Page();
        }
        var results = result.Value.Select(o => o.Error is null
            ? new PersonResult(o.Email, "done", "Invitation emailed.")
            : new PersonResult(o.Email, o.Error.Kind == ErrorKind.Conflict ? "unchanged" : "failed", o.Error.Message)).ToList();
        // The addresses that were not invited stay in the box, ready to fix and send again.
        var retry = string.Join("\n", results.Where(r => !r.Done && r.Status != "unchanged").Select(r => r.Who));
        var shown = results.Count <= ShownResults ? results
            : results.Where(r => !r.Done).Take(ShownResults).Concat(results.Where(r => r.Done).Take(Math.Max(0, ShownResults - results.Count(r => !r.Done)))).ToList();
        return SeeOtherWithResult(OrgPath("/users/invite"), OrgPath("/users/invite"),
            new Outcome(shown, results.Count(r => r.Done), results.Count, retry.Length > 4000 ? "" : retry, OrgRole, Grants, AccessWithoutSso));
    }

    private async Task<IActionResult?> LoadAsync(CancellationToken ct)
    {
        var list = await catalog.HandleAsync(OrgUid, Caller!, ct);
        if (!list.IsSuccess) return StatusCode(list.Error!.Kind == ErrorKind.Forbidden ? 403 : 404);
        Stacks = list.Value;
        var settings = await sso.HandleAsync(OrgUid, Caller!, ct);
        OffersAccessWithoutSso = settings.IsSuccess && settings.Value.Configuration is { Strict: false };
        return null;
    }

    /// <summary>Addresses separated by commas, semicolons, spaces or new lines, without duplicates; Core judges each one.</summary>
    public static List<string> Split(string? text) =>
        (text ?? "").Split([',', ';', '\n', '\r', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(a => a.Trim('<', '>', '"', '\''))
            .Where(a => a.Length > 0)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
}
