using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Common;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Server.Console.Pages.Org;

/// <summary>Administration › Users: members and pending invitations, sortable, searchable, keyset-paged.</summary>
public sealed class UsersModel(UsersPageQuery query, TimeProvider clock, OrgstackOptions options) : OrgPageModel
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
