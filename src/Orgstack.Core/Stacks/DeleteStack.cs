using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;

namespace Orgstack.Core.Stacks;

/// <summary>Deletes a stack permanently, with every role in it and every role assignment. Organization Owner and Admins only.</summary>
public sealed class DeleteStack(OrgstackDbContext db, StackAccess access, TimeProvider clock)
{
    public sealed record Deleted(Stack Stack, int Roles, int Assignments);

    public async Task<Result<Deleted>> HandleAsync(string? apiKey, Actor actor, CancellationToken ct)
    {
        var caller = await access.ResolveAsync(apiKey, actor, tracking: false, ct);
        if (!caller.IsSuccess) return caller.Error!;
        if (!caller.Value.IsOrgAdmin) return StackErrors.DeleteRequired;
        var stack = caller.Value.Stack;

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var assignments = await db.StackRoleAssignments.Where(a => a.StackUid == stack.Uid).ExecuteDeleteAsync(ct);
        var roles = await db.StackRoles.Where(r => r.StackUid == stack.Uid).ExecuteDeleteAsync(ct);
        var removed = await db.Stacks.Where(s => s.Uid == stack.Uid).ExecuteDeleteAsync(ct);
        if (removed != 1) return StackErrors.InvalidApiKey;
        var now = clock.GetUtcNow();
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, stack.OrganizationUid, "stack", "delete", "stack", stack.Uid, stack.Name,
            new { api_key = stack.ApiKey, roles, assignments }));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return new Deleted(stack, roles, assignments);
    }
}
