using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Common;
using Orgstack.Core.Stacks;

namespace Orgstack.Server.Console.Pages.Org;

/// <summary>Administration › Stacks: every stack of the organization with owner and member count; delete after typing the stack's name.</summary>
public sealed class StacksModel(StacksPageQuery query, DeleteStack delete, TimeProvider clock) : OrgPageModel
{
    public override string Section => "stacks";
    public override string Title => "Stacks";

    public IReadOnlyList<StackSummary> Stacks { get; private set; } = [];
    public DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>The api_key of the stack whose deletion is being confirmed.</summary>
    [BindProperty(SupportsGet = true, Name = "delete")] public string? DeleteKey { get; set; }
    [BindProperty] public string? ConfirmName { get; set; }

    public StackSummary? Deleting { get; private set; }
    public string? ConfirmError { get; private set; }
    public string? Deleted { get; private set; }

    /// <summary>What a deletion did, carried to the GET that shows it (post/redirect/get).</summary>
    public sealed record Outcome(string Deleted);

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (await LoadAsync(ct) is { } refused) return refused;
        Deleting = Stacks.FirstOrDefault(s => s.ApiKey == DeleteKey);
        Deleted = ReadResult<Outcome>(OrgPath("/stacks"))?.Deleted;
        return Page();
    }

    public async Task<IActionResult> OnPostDeleteAsync(CancellationToken ct)
    {
        if (await LoadAsync(ct) is { } refused) return refused;
        Deleting = Stacks.FirstOrDefault(s => s.ApiKey == DeleteKey);
        if (Deleting is null) return NotFound();
        if (!string.Equals(ConfirmName?.Trim(), Deleting.Name, StringComparison.Ordinal))
        {
            ConfirmError = $"Type the stack's name exactly as shown ({Deleting.Name}) to delete it.";
            return Page();
        }
        var result = await delete.HandleAsync(Deleting.ApiKey, Caller!, ct);
        if (!result.IsSuccess)
        {
            ConfirmError = result.Error!.Message;
            return Page();
        }
        var deleted = $"{result.Value.Stack.Name} was deleted with {result.Value.Roles} {(result.Value.Roles == 1 ? "role" : "roles")} and {result.Value.Assignments} role {(result.Value.Assignments == 1 ? "assignment" : "assignments")}.";
        return SeeOtherWithResult(OrgPath("/stacks"), OrgPath("/stacks"), new Outcome(deleted));
    }

    private async Task<IActionResult?> LoadAsync(CancellationToken ct)
    {
        var result = await query.HandleAsync(OrgUid, Caller!, ct);
        if (!result.IsSuccess) return StatusCode(result.Error!.Kind == ErrorKind.Forbidden ? 403 : 404);
        Stacks = result.Value;
        return null;
    }
}
