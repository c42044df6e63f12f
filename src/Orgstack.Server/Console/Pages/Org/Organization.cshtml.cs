using Microsoft.AspNetCore.Mvc;

namespace Orgstack.Server.Console.Pages.Org;

/// <summary>Organization info: name and ID, read-only (renaming is for the operator CLI).</summary>
public sealed class OrganizationModel : OrgPageModel
{
    public override string Section => "organization";
    public override string Title => "Organization info";

    public IActionResult OnGet() => Page();
}
