using Microsoft.AspNetCore.Mvc;

namespace Orgstack.Server.Console.Pages;

/// <summary>The console's front door: straight into the only organization, or a choice among several.</summary>
public sealed class IndexModel : ConsolePageModel
{
    public override string Title => "Your organizations";

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        await LoadMyOrganizationsAsync(ct);
        if (MyOrganizations.Count == 1) return Redirect("/o/" + Uri.EscapeDataString(MyOrganizations[0].Organization.Uid));
        return Page();
    }
}
