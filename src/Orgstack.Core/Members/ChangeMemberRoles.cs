using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Invitations;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Members;

/// <summary>
/// Changes a member's (or a pending invitation's) organization role and stack roles in one update. Stack roles are
/// replaced per named stack: a stack given with an empty list loses every role; stacks not named are left alone.
/// </summary>
public sealed class ChangeMemberRoles(OrgstackDbContext db, OrgAccess access, TimeProvider clock)
{
    public sealed record Request(string OrganizationUid, string ShareUid, string? OrgRole, IReadOnlyDictionary<string, IReadOnlyList<string>>? Stacks);

    public async Task<Result<Membership>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(request.OrganizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        if (!Ids.LooksValid(request.ShareUid)) return MemberErrors.ShareNotFound;
        var member = await db.Memberships.FirstOrDefaultAsync(m => m.Uid == request.ShareUid && m.OrganizationUid == request.OrganizationUid, ct);
        if (member is null) return MemberErrors.ShareNotFound;
        if (request.OrgRole is null && request.Stacks is null) return MemberErrors.NothingToChange;

        OrgRole? newRole = null;
        if (request.OrgRole is not null)
        {
            newRole = OrgRoles.Parse(request.OrganizationUid, request.OrgRole);
            if (newRole is null) return MemberErrors.UnknownRole;
            if (newRole != member.Role)
            {
                if (newRole == Organizations.OrgRole.Owner || member.Role == Organizations.OrgRole.Owner) return MemberErrors.OwnerChangesOnlyByTransfer;
                if (member.Uid == admin.Value.Uid) return MemberErrors.CannotChangeOwnRole;
                if (!OrgPermissions.CanAssign(admin.Value.Role, newRole.Value)) return MemberErrors.OwnerNotAssignable;
            }
        }

        var now = clock.GetUtcNow();
        var grants = await StackGrants.LoadAsync(db, request.OrganizationUid, [request.Stacks], ct);
        var assignments = grants.Resolve(request.Stacks, member.Uid, now);
        if (!assignments.IsSuccess) return assignments.Error!;

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // Ordered with removals and accepts (same organization lock): a member removed meanwhile is not found,
        // rather than an update of a deleted row.
        await OrganizationLock.LockAsync(db, request.OrganizationUid, ct);
        // Under the lock, the role as it is now (another admin may have changed it since it was read above), and the
        // time now: the audit record then says what this change found and did, in the order the changes were applied.
        var current = await db.Memberships.Where(m => m.Uid == member.Uid).Select(m => (Organizations.OrgRole?)m.Role).FirstOrDefaultAsync(ct);
        if (current is null)
        {
            await transaction.RollbackAsync(ct);
            return MemberErrors.ShareNotFound;
        }
        if (current != member.Role && current == Organizations.OrgRole.Owner && newRole is not null && newRole != current)
        {
            await transaction.RollbackAsync(ct);
            return MemberErrors.OwnerChangesOnlyByTransfer;
        }
        member.Role = current.Value;
        now = clock.GetUtcNow();
        var oldRole = member.Role;
        if (newRole is { } role && role != member.Role)
        {
            // Conditional on the role read above, so a concurrent change (or a transfer) is never overwritten.
            var changed = await db.Memberships.Where(m => m.Uid == member.Uid && m.Role == oldRole)
                .ExecuteUpdateAsync(u => u.SetProperty(m => m.Role, role).SetProperty(m => m.UpdatedAt, now), ct);
            if (changed != 1)
            {
                await transaction.RollbackAsync(ct);
                return MemberErrors.OwnerChangesOnlyByTransfer;
            }
            member.Role = role;
            if (role == Organizations.OrgRole.Member && member.UserUid is not null)
                await InvitationLinks.RevokeSentByAsync(db, request.OrganizationUid, [member.UserUid], now, ct);
        }
        if (request.Stacks is not null)
        {
            var stackUids = request.Stacks.Keys.Select(k => grants.StackUidOf(k)!).ToList();
            await db.StackRoleAssignments.Where(a => a.MembershipUid == member.Uid && stackUids.Contains(a.StackUid)).ExecuteDeleteAsync(ct);
            db.StackRoleAssignments.AddRange(assignments.Value);
        }
        member.UpdatedAt = now;
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, request.OrganizationUid, "user", "change_roles", "membership", member.Uid, member.Email, new
        {
            from_role = OrgRoles.NameOf(oldRole),
            to_role = OrgRoles.NameOf(member.Role),
            stacks = request.Stacks,
        }));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return member;
    }
}
