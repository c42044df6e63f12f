using Orgstack.Core.Common;
using Orgstack.Core.Data;

namespace Orgstack.Core.Stacks;

/// <summary>
/// Renames a stack or changes its description. Read-only fields that clients echo back are ignored by the caller of
/// this use case; a different master locale is refused (it cannot change once content exists in it).
/// </summary>
public sealed class UpdateStack(OrgstackDbContext db, StackAccess access, TimeProvider clock)
{
    public sealed record Request(string? ApiKey, string? Name, string? Description, string? MasterLocale);

    public async Task<Result<StackView>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var caller = await access.ManageAsync(request.ApiKey, actor, tracking: true, ct);
        if (!caller.IsSuccess) return caller.Error!;
        var stack = caller.Value.Stack;
        if (request.Name is not null && StackInput.CheckName(request.Name, StackErrors.NameInvalid) is { } nameError) return nameError;
        if (StackInput.CheckDescription(request.Description, StackErrors.DescriptionInvalid) is { } descriptionError) return descriptionError;
        if (request.MasterLocale is not null && StackInput.NormalizeLocale(request.MasterLocale) != stack.MasterLocale)
            return StackErrors.MasterLocaleImmutable;

        var changes = new Dictionary<string, object?>();
        if (request.Name is not null && request.Name.Trim() != stack.Name)
        {
            changes["name"] = new { from = stack.Name, to = request.Name.Trim() };
            stack.Name = request.Name.Trim();
        }
        if (request.Description is not null && request.Description.Trim() != stack.Description)
        {
            changes["description"] = new { from = stack.Description, to = request.Description.Trim() };
            stack.Description = request.Description.Trim();
        }
        if (changes.Count == 0) return await ViewAsync(stack, ct);
        var now = clock.GetUtcNow();
        stack.UpdatedAt = now;
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, stack.OrganizationUid, "stack", "update", "stack", stack.Uid, stack.Name, changes));
        await db.SaveChangesAsync(ct);
        return await ViewAsync(stack, ct);
    }

    private async Task<StackView> ViewAsync(Stack stack, CancellationToken ct) =>
        new(stack, (await StackUsers.UserUidsAsync(db, [stack], ct))[stack.Uid]);
}
