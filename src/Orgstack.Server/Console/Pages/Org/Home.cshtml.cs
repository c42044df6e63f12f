using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Organizations;
using Orgstack.Core.Stacks;

namespace Orgstack.Server.Console.Pages.Org;

/// <summary>An organization's landing page for everyone in it: the stacks the caller can reach.</summary>
public sealed class HomeModel(MyStacksQuery myStacks, OrganizationOverviewQuery overview) : OrgPageModel
{
    protected override bool RequiresAdmin => false;
    public override string Section => "home";
    public override string Title => "Home";

    public IReadOnlyList<StackSummary> Stacks { get; private set; } = [];
    /// <summary>Only for the Owner and Admins.</summary>
    public OrganizationOverview? Overview { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var result = await myStacks.HandleAsync(OrgUid, Caller!, ct);
        if (!result.IsSuccess) return NotFound();
        Stacks = result.Value;
        if (IsAdmin && await overview.HandleAsync(OrgUid, Caller!, ct) is { IsSuccess: true } figures) Overview = figures.Value;
        return Page();
    }
}
