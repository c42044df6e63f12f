using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Stacks;

/// <summary>What the caller is to one stack: their organization membership, whether they own it, their stack roles.</summary>
public sealed record StackCaller(Stack Stack, Membership Membership, bool IsStackOwner, IReadOnlyList<StackRole> Roles)
{
    public OrgRole OrgRole => Membership.Role;

    /// <summary>Reach the stack's content (fetch it, list its roles and users): its owner, or anybody with a role in it.</summary>
    public bool CanReach => IsStackOwner || Roles.Count > 0;

    /// <summary>Administer it from the organization (list, delete, share): the organization's Owner and Admins.</summary>
    public bool IsOrgAdmin => OrgPermissions.CanAdminister(OrgRole);

    /// <summary>Share, unshare, set users' roles, manage custom roles, rename: org admins, the stack's owner, the stack's Admins.</summary>
    public bool CanManage => IsOrgAdmin || IsStackOwner || Roles.Any(BuiltInRoles.IsAdmin);
}

/// <summary>
/// Resolves a stack from its api_key for the caller. Someone who may not even know the stack (no membership of its
/// organization, or a plain Member without a role in it) gets <see cref="StackErrors.InvalidApiKey"/>, exactly as for
/// an api_key that does not exist.
/// </summary>
public sealed class StackAccess(OrgstackDbContext db)
{
    public async Task<Result<StackCaller>> ResolveAsync(string? apiKey, Actor actor, bool tracking, CancellationToken ct)
    {
        if (!Ids.LooksValid(apiKey)) return StackErrors.InvalidApiKey;
        var stacks = tracking ? db.Stacks : db.Stacks.AsNoTracking();
        var stack = await stacks.FirstOrDefaultAsync(s => s.ApiKey == apiKey, ct);
        if (stack is null) return StackErrors.InvalidApiKey;
        var membership = await db.Memberships.AsNoTracking().FirstOrDefaultAsync(
            m => m.OrganizationUid == stack.OrganizationUid && m.UserUid == actor.UserUid && m.Status == MembershipStatus.Accepted, ct);
        if (membership is null) return StackErrors.InvalidApiKey;
        var enabled = await db.Organizations.AsNoTracking().Where(o => o.Uid == stack.OrganizationUid).Select(o => o.Enabled).FirstOrDefaultAsync(ct);
        if (!enabled) return StackErrors.InvalidApiKey;
        if (await Sso.SsoGate.CheckAsync(db, membership, actor, ct) is not null) return StackErrors.InvalidApiKey;
        var roles = await (from a in db.StackRoleAssignments.AsNoTracking()
                           join r in db.StackRoles.AsNoTracking() on a.RoleUid equals r.Uid
                           where a.StackUid == stack.Uid && a.MembershipUid == membership.Uid
                           select r).ToListAsync(ct);
        var caller = new StackCaller(stack, membership, stack.OwnerUserUid == actor.UserUid, roles);
        if (!caller.CanReach && !caller.IsOrgAdmin) return StackErrors.InvalidApiKey;
        return caller;
    }

    /// <summary>For reading the stack's content.</summary>
    public async Task<Result<StackCaller>> ReachAsync(string? apiKey, Actor actor, CancellationToken ct)
    {
        var caller = await ResolveAsync(apiKey, actor, tracking: false, ct);
        if (!caller.IsSuccess) return caller;
        return caller.Value.CanReach ? caller : StackErrors.NoRoleInStack;
    }

    /// <summary>For sharing, roles and settings.</summary>
    public async Task<Result<StackCaller>> ManageAsync(string? apiKey, Actor actor, bool tracking, CancellationToken ct)
    {
        var caller = await ResolveAsync(apiKey, actor, tracking, ct);
        if (!caller.IsSuccess) return caller;
        return caller.Value.CanManage ? caller : StackErrors.ManageRequired;
    }
}
