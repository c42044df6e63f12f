using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;

namespace Orgstack.Core.Stacks;

/// <summary>A stack role with its stack, the stack owner and the uids of the accepted users holding it.</summary>
public sealed record StackRoleView(StackRole Role, Stack Stack, User? StackOwner, IReadOnlyList<string> UserUids);

internal static class StackRoleViews
{
    public static async Task<IReadOnlyList<StackRoleView>> ForAsync(OrgstackDbContext db, Stack stack, IReadOnlyList<StackRole> roles, CancellationToken ct)
    {
        var roleUids = roles.Select(r => r.Uid).ToList();
        var holders = await (from a in db.StackRoleAssignments.AsNoTracking()
                             join m in db.Memberships.AsNoTracking() on a.MembershipUid equals m.Uid
                             where a.StackUid == stack.Uid && roleUids.Contains(a.RoleUid) && m.Status == MembershipStatus.Accepted && m.UserUid != null
                             select new { a.RoleUid, m.UserUid }).ToListAsync(ct);
        var owner = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Uid == stack.OwnerUserUid, ct);
        return roles.Select(r => new StackRoleView(r, stack, owner, holders.Where(h => h.RoleUid == r.Uid).Select(h => h.UserUid!).ToList())).ToList();
    }
}

/// <summary>The roles of a stack (built-in first, then custom by name), for those who reach the stack.</summary>
public sealed class ListStackRoles(OrgstackDbContext db, StackAccess access)
{
    public sealed record Request(string? ApiKey, string? Name, int Skip, int Limit);

    public async Task<Result<(IReadOnlyList<StackRoleView> Items, int Count)>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var caller = await access.ReachAsync(request.ApiKey, actor, ct);
        if (!caller.IsSuccess) return caller.Error!;
        var stack = caller.Value.Stack;
        var query = db.StackRoles.AsNoTracking().Where(r => r.StackUid == stack.Uid);
        if (request.Name is not null) query = query.Where(r => r.Name == request.Name);
        var count = await query.CountAsync(ct);
        var roles = await query.OrderByDescending(r => r.BuiltIn).ThenBy(r => r.Name).ThenBy(r => r.Uid)
            .Skip(request.Skip).Take(Math.Clamp(request.Limit, 1, 100)).ToListAsync(ct);
        return (await StackRoleViews.ForAsync(db, stack, roles, ct), count);
    }
}

/// <summary>One role of a stack.</summary>
public sealed class GetStackRole(OrgstackDbContext db, StackAccess access)
{
    public async Task<Result<StackRoleView>> HandleAsync(string? apiKey, string roleUid, Actor actor, CancellationToken ct)
    {
        var caller = await access.ReachAsync(apiKey, actor, ct);
        if (!caller.IsSuccess) return caller.Error!;
        var stack = caller.Value.Stack;
        var role = await db.StackRoles.AsNoTracking().FirstOrDefaultAsync(r => r.StackUid == stack.Uid && r.Uid == roleUid, ct);
        if (role is null) return StackErrors.RoleNotFound;
        return (await StackRoleViews.ForAsync(db, stack, [role], ct))[0];
    }
}

/// <summary>Creates a custom role with permission rules. Its name is unique in the stack (case-insensitively).</summary>
public sealed class CreateStackRole(OrgstackDbContext db, StackAccess access, TimeProvider clock)
{
    public sealed record Request(string? ApiKey, string? Name, string? Description, JsonNode? Rules);

    public async Task<Result<StackRoleView>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var caller = await access.ManageAsync(request.ApiKey, actor, tracking: false, ct);
        if (!caller.IsSuccess) return caller.Error!;
        var stack = caller.Value.Stack;
        if (StackInput.CheckName(request.Name, StackErrors.RoleNameInvalid) is { } nameError) return nameError;
        if (StackInput.CheckDescription(request.Description, StackErrors.RoleDescriptionInvalid) is { } descriptionError) return descriptionError;
        var rules = StackInput.NormalizeRules(request.Rules ?? new JsonArray());
        if (!rules.IsSuccess) return rules.Error!;
        var name = request.Name!.Trim();
        if (await NameTakenAsync(db, stack.Uid, name, null, ct)) return StackErrors.RoleNameTaken;

        var now = clock.GetUtcNow();
        var role = new StackRole
        {
            Uid = Ids.New(), StackUid = stack.Uid, Name = name, Description = request.Description?.Trim() ?? "", BuiltIn = false,
            RulesJson = rules.Value, CreatedByUserUid = actor.UserUid, UpdatedByUserUid = actor.UserUid, CreatedAt = now, UpdatedAt = now,
        };
        db.StackRoles.Add(role);
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, stack.OrganizationUid, "role", "create", "stack_role", role.Uid, role.Name,
            new { stack_uid = stack.Uid, api_key = stack.ApiKey }));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return StackErrors.RoleNameTaken;
        }
        return (await StackRoleViews.ForAsync(db, stack, [role], ct))[0];
    }

    internal static async Task<bool> NameTakenAsync(OrgstackDbContext db, string stackUid, string name, string? exceptRoleUid, CancellationToken ct)
    {
        var names = await db.StackRoles.AsNoTracking().Where(r => r.StackUid == stackUid && r.Uid != exceptRoleUid).Select(r => r.Name).ToListAsync(ct);
        return names.Any(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>Changes a custom role's name, description or rules (only the fields given). Built-in roles cannot be changed.</summary>
public sealed class UpdateStackRole(OrgstackDbContext db, StackAccess access, TimeProvider clock)
{
    public sealed record Request(string? ApiKey, string RoleUid, string? Name, string? Description, JsonNode? Rules, bool RulesGiven);

    public async Task<Result<StackRoleView>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var caller = await access.ManageAsync(request.ApiKey, actor, tracking: false, ct);
        if (!caller.IsSuccess) return caller.Error!;
        var stack = caller.Value.Stack;
        var role = await db.StackRoles.FirstOrDefaultAsync(r => r.StackUid == stack.Uid && r.Uid == request.RoleUid, ct);
        if (role is null) return StackErrors.RoleNotFound;
        if (role.BuiltIn) return StackErrors.BuiltInRoleImmutable;
        if (request.Name is not null && StackInput.CheckName(request.Name, StackErrors.RoleNameInvalid) is { } nameError) return nameError;
        if (StackInput.CheckDescription(request.Description, StackErrors.RoleDescriptionInvalid) is { } descriptionError) return descriptionError;
        string? rules = null;
        if (request.RulesGiven)
        {
            var normalized = StackInput.NormalizeRules(request.Rules);
            if (!normalized.IsSuccess) return normalized.Error!;
            rules = normalized.Value;
        }
        var name = request.Name?.Trim();
        if (name is not null && name != role.Name && await CreateStackRole.NameTakenAsync(db, stack.Uid, name, role.Uid, ct)) return StackErrors.RoleNameTaken;

        var changed = new List<string>();
        if (name is not null && name != role.Name) { role.Name = name; changed.Add("name"); }
        if (request.Description is not null && request.Description.Trim() != role.Description) { role.Description = request.Description.Trim(); changed.Add("description"); }
        if (rules is not null && rules != role.RulesJson) { role.RulesJson = rules; changed.Add("rules"); }
        if (changed.Count > 0)
        {
            var now = clock.GetUtcNow();
            role.UpdatedAt = now;
            role.UpdatedByUserUid = actor.UserUid;
            db.AuditEvents.Add(Audit.Audit.Event(actor, now, stack.OrganizationUid, "role", "update", "stack_role", role.Uid, role.Name,
                new { stack_uid = stack.Uid, api_key = stack.ApiKey, changed }));
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                return StackErrors.RoleNameTaken;
            }
        }
        return (await StackRoleViews.ForAsync(db, stack, [role], ct))[0];
    }
}

/// <summary>
/// Deletes a custom role. A role still held by anybody (member or pending invitation) is refused with the number of
/// holders, rather than silently taking their access away. Built-in roles cannot be deleted.
/// </summary>
public sealed class DeleteStackRole(OrgstackDbContext db, StackAccess access, TimeProvider clock)
{
    public async Task<Result<StackRole>> HandleAsync(string? apiKey, string roleUid, Actor actor, CancellationToken ct)
    {
        var caller = await access.ManageAsync(apiKey, actor, tracking: false, ct);
        if (!caller.IsSuccess) return caller.Error!;
        var stack = caller.Value.Stack;
        var role = await db.StackRoles.AsNoTracking().FirstOrDefaultAsync(r => r.StackUid == stack.Uid && r.Uid == roleUid, ct);
        if (role is null) return StackErrors.RoleNotFound;
        if (role.BuiltIn) return StackErrors.BuiltInRoleImmutable;
        var holders = await db.StackRoleAssignments.CountAsync(a => a.RoleUid == role.Uid, ct);
        if (holders > 0) return StackErrors.RoleInUse(holders);

        // One conditional statement: a share that gives the role to somebody meanwhile makes it delete nothing
        // (the cascading foreign key must never take that new holder's access away).
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var deleted = await db.StackRoles.Where(r => r.Uid == role.Uid && !db.StackRoleAssignments.Any(a => a.RoleUid == r.Uid)).ExecuteDeleteAsync(ct);
        if (deleted == 0) return StackErrors.RoleInUse(await db.StackRoleAssignments.CountAsync(a => a.RoleUid == role.Uid, ct));
        db.AuditEvents.Add(Audit.Audit.Event(actor, clock.GetUtcNow(), stack.OrganizationUid, "role", "delete", "stack_role", role.Uid, role.Name,
            new { stack_uid = stack.Uid, api_key = stack.ApiKey }));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return role;
    }
}
