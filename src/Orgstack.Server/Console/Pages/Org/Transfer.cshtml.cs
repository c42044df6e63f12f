using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Server.Console.Pages.Org;

/// <summary>
/// Transfer ownership (Owner only): offer the organization to an email, see the pending offer, withdraw it. Every
/// action goes through Core (<see cref="StartOwnershipTransfer"/>, <see cref="CancelOwnershipTransfer"/>), which checks
/// the Owner again.
/// </summary>
public sealed class TransferModel(GetPendingOwnershipTransfer pending, StartOwnershipTransfer start, CancelOwnershipTransfer cancel) : OrgPageModel
{
    public override string Section => "organization";
    public override string Title => "Transfer ownership";

    [BindProperty] public string? Email { get; set; }
    /// <summary>"started" or "cancelled" after a change (post-redirect-get).</summary>
    [BindProperty(SupportsGet = true)] public string? Done { get; set; }

    public OwnershipTransfer? Pending { get; private set; }
    public string? ErrorMessage { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (Role != OrgRole.Owner) return StatusCode(403);
        return await LoadAsync(ct);
    }

    public async Task<IActionResult> OnPostStartAsync(CancellationToken ct)
    {
        var result = await start.HandleAsync(new StartOwnershipTransfer.Request(OrgUid, Email), Caller!, ct);
        if (result.IsSuccess) return LocalRedirect(OrgPath("/transfer?done=started"));
        if (result.Error!.Kind == Orgstack.Core.Common.ErrorKind.Forbidden) return StatusCode(403);
        ErrorMessage = result.Error.Message;
        return await LoadAsync(ct);
    }

    public async Task<IActionResult> OnPostCancelAsync(CancellationToken ct)
    {
        var result = await cancel.HandleAsync(OrgUid, Caller!, ct);
        if (result.IsSuccess) return LocalRedirect(OrgPath("/transfer?done=cancelled"));
        if (result.Error!.Kind == Orgstack.Core.Common.ErrorKind.Forbidden) return StatusCode(403);
        ErrorMessage = result.Error.Message;
        return await LoadAsync(ct);
    }

    private async Task<IActionResult> LoadAsync(CancellationToken ct)
    {
        var result = await pending.HandleAsync(OrgUid, Caller!, ct);
        if (!result.IsSuccess) return StatusCode(403);
        Pending = result.Value;
        return Page();
    }
}
