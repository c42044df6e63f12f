using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;

namespace Orgstack.Core.Stacks;

/// <summary>What happened to one address of a share.</summary>
public sealed record ShareOutcome(string Email, Membership Membership, IReadOnlyList<StackRole> Roles);

/// <summary>
/// Shares a stack: gives people roles in it (added to the roles they already hold there). Only people who already
/// belong to the stack's organization (accepted members, or pending invitations whose roles take effect once accepted)
/// can be given a stack role; any other address, an invalid one, or one without valid roles is a per-address error
/// while the other addresses go through. Roles are named by uid or by name.
/// </summary>
public sealed class ShareStack(OrgstackDbContext db, StackAccess access, TimeProvider clock)
{
    public const int MaxAddresses = 1000;

    public sealed record Request(string? ApiKey, IReadOnlyList<string> Emails, IReadOnlyDictionary<string, IReadOnlyList<string>> Roles);

    public sealed record Response(Stack Stack, IReadOnlyList<ShareOutcome> Shared, IReadOnlyDictionary<string, string[]> Errors);

    public async Task<Result<Response>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var caller = await access.ManageAsync(request.ApiKey, actor, tracking: false, ct);
        if (!caller.IsSuccess) return caller.Error!;
        var stack = caller.Value.Stack;

        // Every address named in emails or in roles, in order, once.
        var addresses = new List<string>();
        var roleNames = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var raw in request.Emails.Concat(request.Roles.Keys))
        {
            var key = (raw ?? "").Trim().ToLowerInvariant();
            if (!addresses.Contains(key)) addresses.Add(key);
        }
        foreach (var (raw, roles) in request.Roles)
        {
            var key = (raw ?? "").Trim().ToLowerInvariant();
            if (!roleNames.TryGetValue(key, out var list)) roleNames[key] = list = [];
            list.AddRange(roles);
        }
        if (addresses.Count == 0) return Error.Validation("stack.share_empty", "Name at least one email address to share the stack with.", "emails", "is required.");
        if (addresses.Count > MaxAddresses)
            return Error.Validation("stack.share_too_many", $"A share may name at most {MaxAddresses} addresses.", "emails");

        var stackRoles = await db.StackRoles.AsNoTracking().Where(r => r.StackUid == stack.Uid).ToListAsync(ct);
        var valid = addresses.Where(Emails.IsValid).Select(Emails.Normalize).ToList();
        var memberships = await db.Memberships.AsNoTracking()
            .Where(m => m.OrganizationUid == stack.OrganizationUid && valid.Contains(m.Email)).ToDictionaryAsync(m => m.Email, ct);
        var membershipUids = memberships.Values.Select(m => m.Uid).ToList();
        var held = (await db.StackRoleAssignments.AsNoTracking()
                .Where(a => a.StackUid == stack.Uid && membershipUids.Contains(a.MembershipUid)).Select(a => new { a.MembershipUid, a.RoleUid }).ToListAsync(ct))
            .Select(a => (a.MembershipUid, a.RoleUid)).ToHashSet();

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var shared = new List<ShareOutcome>();
        var now = clock.GetUtcNow();
        foreach (var address in addresses)
        {
            if (!Emails.IsValid(address)) { errors[address.Length == 0 ? "emails" : Clip(address)] = ["is not a valid email address."]; continue; }
            if (!memberships.TryGetValue(address, out var membership))
            {
                errors[address] = ["is not a member of this stack's organization: invite them to the organization first."];
                continue;
            }
            var wanted = roleNames.GetValueOrDefault(address) ?? [];
            if (wanted.Count == 0) { errors[address] = ["needs at least one role of this stack."]; continue; }
            var resolved = new List<StackRole>();
            string? unknown = null;
            foreach (var name in wanted)
            {
                var role = StackRoleLookup.Find(stackRoles, name);
                if (role is null) { unknown = name; break; }
                if (!resolved.Contains(role)) resolved.Add(role);
            }
            if (unknown is not null) { errors[address] = [$"role '{Clip(unknown)}' is not a role of this stack."]; continue; }
            foreach (var role in resolved.Where(r => !held.Contains((membership.Uid, r.Uid))))
                db.StackRoleAssignments.Add(new StackRoleAssignment { StackUid = stack.Uid, MembershipUid = membership.Uid, RoleUid = role.Uid, CreatedAt = now });
            shared.Add(new ShareOutcome(address, membership, resolved));
            db.AuditEvents.Add(Audit.Audit.Event(actor, now, stack.OrganizationUid, "stack", "share", "membership", membership.Uid, address,
                new { stack_uid = stack.Uid, api_key = stack.ApiKey, roles = resolved.Select(r => r.Uid).ToList(), status = membership.Status.ToString().ToLowerInvariant() }));
        }
        if (shared.Count == 0)
            return new Error("stack.share_failed", "The stack could not be shared with any of the given addresses.", ErrorKind.Validation, 119, errors);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return StackErrors.ConcurrentChange;
        }
        return new Response(stack, shared, errors);
    }

    private static string Clip(string value) => value.Length > 64 ? value[..64] + "…" : value;
}

/// <summary>Finds a stack role named by uid or (case-insensitively) by name.</summary>
public static class StackRoleLookup
{
    public static StackRole? Find(IReadOnlyList<StackRole> roles, string? uidOrName)
    {
        if (string.IsNullOrWhiteSpace(uidOrName)) return null;
        var value = uidOrName.Trim();
        return roles.FirstOrDefault(r => r.Uid == value)
               ?? roles.FirstOrDefault(r => string.Equals(r.Name, value, StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>Unshares a stack with someone: removes every role they hold in it, at once. The stack's owner cannot be unshared.</summary>
public sealed class UnshareStack(OrgstackDbContext db, StackAccess access, TimeProvider clock)
{
    public async Task<Result<int>> HandleAsync(string? apiKey, string? email, Actor actor, CancellationToken ct)
    {
        var caller = await access.ManageAsync(apiKey, actor, tracking: false, ct);
        if (!caller.IsSuccess) return caller.Error!;
        var stack = caller.Value.Stack;
        if (!Emails.IsValid(email)) return Error.Validation("stack.unshare_email", "Give the email address of the person to unshare the stack with.", "email");
        var address = Emails.Normalize(email!);
        var membership = await db.Memberships.AsNoTracking().FirstOrDefaultAsync(m => m.OrganizationUid == stack.OrganizationUid && m.Email == address, ct);
        if (membership is not null && membership.UserUid == stack.OwnerUserUid) return StackErrors.OwnerCannotBeUnshared;
        var assignments = membership is null ? [] : await db.StackRoleAssignments
            .Where(a => a.StackUid == stack.Uid && a.MembershipUid == membership.Uid).ToListAsync(ct);
        if (assignments.Count == 0)
            return Error.Validation("stack.not_shared", "The stack is not shared with this address.", "email", "is not a user of this stack.");
        db.StackRoleAssignments.RemoveRange(assignments);
        var now = clock.GetUtcNow();
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, stack.OrganizationUid, "stack", "unshare", "membership", membership!.Uid, address,
            new { stack_uid = stack.Uid, api_key = stack.ApiKey, roles = assignments.Select(a => a.RoleUid).ToList() }));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return StackErrors.ConcurrentChange;
        }
        return assignments.Count;
    }
}

/// <summary>
/// Replaces the stack roles of accepted members of the stack's organization, named by user uid. All or nothing: one
/// unknown user or role refuses the whole request. An empty list removes the user's roles (as unshare does).
/// </summary>
public sealed class SetStackUserRoles(OrgstackDbContext db, StackAccess access, TimeProvider clock)
{
    public const int MaxUsers = 1000;

    public sealed record Request(string? ApiKey, IReadOnlyDictionary<string, IReadOnlyList<string>> Users);

    public async Task<Result<IReadOnlyList<(string UserUid, IReadOnlyList<StackRole> Roles)>>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var caller = await access.ManageAsync(request.ApiKey, actor, tracking: false, ct);
        if (!caller.IsSuccess) return caller.Error!;
        var stack = caller.Value.Stack;
        if (request.Users.Count == 0) return Error.Validation("stack.roles_empty", "Name at least one user and their roles.", "users", "is required.");
        if (request.Users.Count > MaxUsers) return Error.Validation("stack.roles_too_many", $"At most {MaxUsers} users per request.", "users");

        var stackRoles = await db.StackRoles.AsNoTracking().Where(r => r.StackUid == stack.Uid).ToListAsync(ct);
        var userUids = request.Users.Keys.Where(Ids.LooksValid).ToList();
        var memberships = await db.Memberships.AsNoTracking()
            .Where(m => m.OrganizationUid == stack.OrganizationUid && m.Status == MembershipStatus.Accepted && m.UserUid != null && userUids.Contains(m.UserUid))
            .ToDictionaryAsync(m => m.UserUid!, ct);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var plan = new List<(Membership Membership, List<StackRole> Roles)>();
        foreach (var (userUid, names) in request.Users)
        {
            if (!memberships.TryGetValue(userUid, out var membership))
            {
                errors[Clip(userUid)] = ["is not a member of this stack's organization."];
                continue;
            }
            var roles = new List<StackRole>();
            foreach (var name in names)
            {
                var role = StackRoleLookup.Find(stackRoles, name);
                if (role is null) { errors[userUid] = [$"role '{Clip(name ?? "")}' is not a role of this stack."]; break; }
                if (!roles.Contains(role)) roles.Add(role);
            }
            if (!errors.ContainsKey(userUid)) plan.Add((membership, roles));
        }
        if (errors.Count > 0) return new Error("stack.roles_invalid", "No roles were changed: some users or roles are not valid.", ErrorKind.Validation, 119, errors);

        var membershipUids = plan.Select(p => p.Membership.Uid).ToList();
        var existing = await db.StackRoleAssignments.Where(a => a.StackUid == stack.Uid && membershipUids.Contains(a.MembershipUid)).ToListAsync(ct);
        var now = clock.GetUtcNow();
        foreach (var (membership, roles) in plan)
        {
            var current = existing.Where(a => a.MembershipUid == membership.Uid).ToList();
            db.StackRoleAssignments.RemoveRange(current.Where(a => roles.All(r => r.Uid != a.RoleUid)));
            foreach (var role in roles.Where(r => current.All(a => a.RoleUid != r.Uid)))
                db.StackRoleAssignments.Add(new StackRoleAssignment { StackUid = stack.Uid, MembershipUid = membership.Uid, RoleUid = role.Uid, CreatedAt = now });
            db.AuditEvents.Add(Audit.Audit.Event(actor, now, stack.OrganizationUid, "stack", "set_user_roles", "membership", membership.Uid, membership.Email,
                new { stack_uid = stack.Uid, api_key = stack.ApiKey, from = current.Select(a => a.RoleUid).ToList(), to = roles.Select(r => r.Uid).ToList() }));
        }
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return StackErrors.ConcurrentChange;
        }
        return plan.Select(p => (p.Membership.UserUid!, (IReadOnlyList<StackRole>)p.Roles)).ToList();
    }

    private static string Clip(string value) => value.Length > 64 ? value[..64] + "…" : value;
}
