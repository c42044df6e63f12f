using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Common;
using Orgstack.Core.Plans;

namespace Orgstack.Server.Console.Pages.Org;

/// <summary>Administration › Plan and usage: limits, expiry and usage (Core's GetPlanAndUsage); billing only for the Owner.</summary>
public sealed class PlanModel(GetPlanAndUsage plan, TimeProvider clock) : OrgPageModel
{
    public override string Section => "plan";
    public override string Title => "Plan and usage";

    public GetPlanAndUsage.View View { get; private set; } = null!;
    public DateTimeOffset Now => clock.GetUtcNow();

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var result = await plan.HandleAsync(OrgUid, Caller!, ct);
        if (!result.IsSuccess) return StatusCode(result.Error!.Kind == ErrorKind.Forbidden ? 403 : 404);
        View = result.Value;
        return Page();
    }

    public static int Percent(long used, long max) => max <= 0 ? 100 : (int)Math.Min(100, Math.Round(used * 100.0 / max));
}
