using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Export;
using Orgstack.Core.Invitations;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Server.Console.Pages.Org;

/// <summary>
/// Administration › Users: members and pending invitations, sortable, searchable, keyset-paged; bulk actions on up to
/// Bulk:MaxUsersPerAction selected users, a row menu, and the CSV export. Every action is a Core use case.
/// </summary>
public sealed class UsersModel(UsersPageQuery query, TimeProvider clock, OrgstackOptions options, IServiceProvider services) : OrgPageModel
{
    public override string Section => "users";
    public override string Title => "Users";

    [BindProperty(SupportsGet = true, Name = "q")] public string? Search { get; set; }
    [BindProperty(SupportsGet = true)] public string? Sort { get; set; }
    [BindProperty(SupportsGet = true)] public string? Dir { get; set; }
    [BindProperty(SupportsGet = true, Name = "role")] public string? RoleParam { get; set; }
    [BindProperty(SupportsGet = true, Name = "status")] public string? StatusParam { get; set; }
    [BindProperty(SupportsGet = true)] public string? After { get; set; }
    [BindProperty(SupportsGet = true)] public string? Before { get; set; }
    [BindProperty(SupportsGet = true)] public int? Size { get; set; }

    public UsersPage Result { get; private set; } = new([], 0, null, null);
    public UsersSort SortBy { get; private set; }
    public bool Descending { get; private set; }
    public int PageSize { get; private set; }
    public DateTimeOffset Now => clock.GetUtcNow();
    public int MaxSelection => options.Bulk.MaxUsersPerAction;
    public bool Filtered => !string.IsNullOrWhiteSpace(Search) || RoleFilter is not null || StatusFilter is not null;

    private OrgRole? RoleFilter => RoleParam switch { "owner" => OrgRole.Owner, "admin" => OrgRole.Admin, "member" => OrgRole.Member, _ => null };
    private MembershipStatus? StatusFilter => StatusParam switch { "active" => MembershipStatus.Accepted, "pending" => MembershipStatus.Pending, _ => null };

    /// <summary>The selected users (by email): checkboxes of the bulk form, or the one row of a row action.</summary>
    [BindProperty] public List<string> Emails { get; set; } = [];
    [BindProperty] public string? BulkAction { get; set; }
    [BindProperty] public string? BulkRole { get; set; }
    [BindProperty] public string? Confirm { get; set; }
    [BindProperty] public string? ShareUid { get; set; }

    public ActionSummary? Summary { get; private set; }
    public string? ActionError { get; private set; }
    /// <summary>Set when Remove waits for confirmation: the addresses about to go.</summary>
    public IReadOnlyList<string>? RemoveConfirmation { get; private set; }

    /// <summary>The URL of this list (same filters, sort and page) that runs a POST handler.</summary>
    public string HandlerUrl(string handler)
    {
        var query = Request.Query.Where(q => q.Key is not ("handler" or ConsoleResultTokens.QueryKey)).SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v))).ToList();
        query.Add(new("handler", handler));
        return OrgPath("/users") + Microsoft.AspNetCore.Http.QueryString.Create(query);
    }

    /// <summary>What a POST did, carried to the GET that shows it (post/redirect/get).</summary>
    public sealed record Outcome(ActionSummary? Summary, string? Error);

    private string ResultScope => OrgPath("/users");

    /// <summary>This list (same filters, sort and page) without a handler or an earlier result.</summary>
    public string ListUrl()
    {
        var query = Request.Query.Where(q => q.Key is not ("handler" or ConsoleResultTokens.QueryKey))
            .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v))).ToList();
        return OrgPath("/users") + Microsoft.AspNetCore.Http.QueryString.Create(query);
    }

    private IActionResult Done(ActionSummary? summary, string? error = null) => SeeOtherWithResult(ListUrl(), ResultScope, new Outcome(summary, error));

    public async Task<IActionResult> OnPostBulkAsync(CancellationToken ct)
    {
        var emails = Emails.Where(e => !string.IsNullOrWhiteSpace(e)).Select(e => e.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (emails.Count == 0) return Done(null, "Select at least one user first.");
        if (emails.Count > MaxSelection) return Done(null, $"Select at most {MaxSelection} users at a time.");
        var request = new MembersRequest(OrgUid, emails);
        switch (BulkAction)
        {
            case "unlock":
                return Show("Unlock", await services.GetRequiredService<UnlockUsers>().HandleAsync(request, Caller!, ct));
            case "reset_password":
                return Show("Force password reset", await services.GetRequiredService<ForcePasswordReset>().HandleAsync(request, Caller!, ct));
            case "reset_mfa":
                return Show("Reset MFA", await services.GetRequiredService<ResetMemberMfa>().HandleAsync(request, Caller!, ct));
            case "sign_out":
                return Show("Force sign-out", await services.GetRequiredService<ForceSignOut>().HandleAsync(request, Caller!, ct));
            case "role":
                return await ChangeRoleAsync(emails, ct);
            case "remove":
                if (Confirm != "yes")
                {
                    // The confirmation step changes nothing; it is rendered here and its button posts again with Confirm=yes.
                    RemoveConfirmation = emails;
                    return await OnGetAsync(ct);
                }
                return await RemoveAsync(emails, ct);
            default:
                return Done(null, "Choose an action.");
        }
    }

    public async Task<IActionResult> OnPostResendAsync(CancellationToken ct)
    {
        var result = await services.GetRequiredService<ResendInvitation>().HandleAsync(new ResendInvitation.Request(OrgUid, ShareUid ?? ""), Caller!, ct);
        return result.IsSuccess
            ? Done(new ActionSummary("Resend invitation", [new PersonResult(result.Value.Email, "done", "A new invitation was emailed; earlier links no longer work.")]))
            : Done(null, result.Error!.Message);
    }

    /// <summary>Streams every member and invitation as CSV through Core's export (audited, rate limited).</summary>
    public async Task<IActionResult> OnGetExportAsync(CancellationToken ct)
    {
        var result = await services.GetRequiredService<ExportMembersCsv>().HandleAsync(new ExportMembersCsv.Request(OrgUid), Caller!, ct);
        if (!result.IsSuccess)
        {
            if (result.Error!.Kind != ErrorKind.RateLimited) return StatusCode(result.Error.Kind == ErrorKind.Forbidden ? 403 : 404);
            ActionError = result.Error.Message;
            return await OnGetAsync(ct);
        }
        var export = result.Value;
        return new CsvDownloadResult(export.FileName, export.WriteAsync);
    }

    private IActionResult Show(string title, Result<MemberActionResult[]> result)
    {
        if (!result.IsSuccess) return Done(null, result.Error!.Message);
        return Done(new ActionSummary(title, result.Value.Select(r => new PersonResult(r.Email ?? r.User, r.Status,
            r.Status == "not_found" ? "Not an active member (a pending invitation has no account yet)." : r.Notice)).ToList()));
    }

    /// <summary>One all-or-nothing change through Core's <see cref="ChangeMembersRole"/>: either everyone selected gets the role, or nobody does.</summary>
    private async Task<IActionResult> ChangeRoleAsync(List<string> emails, CancellationToken ct)
    {
        if (BulkRole is not ("admin" or "member")) return Done(null, "Choose the organization role to give, then Change role.");
        var label = BulkRole == "admin" ? "Admin" : "Member";
        var result = await services.GetRequiredService<ChangeMembersRole>().HandleAsync(new ChangeMembersRole.Request(OrgUid, emails, BulkRole), Caller!, ct);
        if (!result.IsSuccess) return Done(null, result.Error!.Message);
        var outcome = result.Value;
        var lines = outcome.Users.Select(r => new PersonResult(r.Email ?? r.User, r.Status, r.Notice)).ToList();
        return outcome.Applied
            ? Done(new ActionSummary($"Change role to {label}", lines))
            : Done(new ActionSummary($"Change role to {label}", lines, "Nobody's role was changed: fix or unselect the users marked below, then try again."));
    }

    private async Task<IActionResult> RemoveAsync(List<string> emails, CancellationToken ct)
    {
        var removed = await services.GetRequiredService<RemoveMembers>().HandleAsync(new RemoveMembers.Request(OrgUid, emails), Caller!, ct);
        if (!removed.IsSuccess) return Done(null, removed.Error!.Message + " Nobody was removed.");
        return Done(new ActionSummary("Remove", removed.Value.Select(m => new PersonResult(m.Email, "done",
            m.Status == MembershipStatus.Pending ? "Invitation revoked; its link no longer works." : "Removed from the organization with every stack role.")).ToList()));
    }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        SortBy = Sort switch
        {
            "email" => UsersSort.Email,
            "role" => UsersSort.Role,
            "status" => UsersSort.Status,
            "last_login" => UsersSort.LastLogin,
            _ => UsersSort.Name,
        };
        // Last Login reads best newest first; the other columns A to Z.
        Descending = Dir is null ? SortBy == UsersSort.LastLogin : Dir == "desc";
        PageSize = Size is 25 or 50 or 100 ? Size.Value : UsersPageQuery.DefaultLimit;
        var result = await query.HandleAsync(new UsersPageQuery.Request(OrgUid, SortBy, Descending, Search, RoleFilter, StatusFilter, After, Before, PageSize), Caller!, ct);
        if (!result.IsSuccess) return StatusCode(result.Error!.Kind == ErrorKind.Forbidden ? 403 : 404);
        Result = result.Value;
        if (ReadResult<Outcome>(ResultScope) is { } outcome)
        {
            Summary ??= outcome.Summary;
            ActionError ??= outcome.Error;
        }
        return Page();
    }

    public static string SortKey(UsersSort sort) => sort switch
    {
        UsersSort.Email => "email",
        UsersSort.Role => "role",
        UsersSort.Status => "status",
        UsersSort.LastLogin => "last_login",
        _ => "name",
    };

    /// <summary>A link to this list with some parameters changed (paging resets unless given).</summary>
    public string Link(string? sort = null, string? dir = null, string? after = null, string? before = null)
    {
        var query = new List<KeyValuePair<string, string?>>();
        void Add(string key, string? value) { if (!string.IsNullOrEmpty(value)) query.Add(new(key, value)); }
        Add("q", Search?.Trim());
        Add("role", RoleFilter is null ? null : RoleParam);
        Add("status", StatusFilter is null ? null : StatusParam);
        Add("sort", sort ?? SortKey(SortBy));
        Add("dir", dir ?? (Descending ? "desc" : "asc"));
        if (PageSize != UsersPageQuery.DefaultLimit) Add("size", PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("after", after);
        Add("before", before);
        return OrgPath("/users") + Microsoft.AspNetCore.Http.QueryString.Create(query);
    }

    /// <summary>The header link: the current column toggles its direction; another column starts in its natural one.</summary>
    public string SortLink(UsersSort column)
    {
        var dir = column == SortBy ? (Descending ? "asc" : "desc") : (column == UsersSort.LastLogin ? "desc" : "asc");
        return Link(SortKey(column), dir);
    }

    public string AriaSort(UsersSort column) => column != SortBy ? "none" : Descending ? "descending" : "ascending";
}
