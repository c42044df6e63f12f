using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Stacks;

namespace Orgstack.Server.Console.Pages.Org;

/// <summary>Administration › Stacks: every stack of the organization, read-only for now.</summary>
public sealed class StacksModel(StacksPageQuery query, TimeProvider clock) : OrgPageModel
{
    public override string Section => "stacks";
    public override string Title => "Stacks";

    public IReadOnlyList<StackSummary> Stacks { get; private set; } = [];
    public DateTimeOffset Now => clock.GetUtcNow();

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var result = await query.HandleAsync(OrgUid, Caller!, ct);
        if (!result.IsSuccess) return StatusCode(result.Error!.Kind == Core.Common.ErrorKind.Forbidden ? 403 : 404);
        Stacks = result.Value;
        return Page();
    }
}
