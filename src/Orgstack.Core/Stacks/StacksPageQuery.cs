using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Stacks;

public sealed record StackSummary(string Uid, string ApiKey, string Name, string Description, string? OwnerEmail, string? OwnerName, int MemberCount, DateTimeOffset CreatedAt, IReadOnlyList<string> MyRoles);

/// <summary>The console's Stacks page: every stack of the organization with its owner and member count (Owner and Admins).</summary>
public sealed class StacksPageQuery(OrgstackDbContext db, OrgAccess access)
{
    public const int MaxStacks = 1000;

    public async Task<Result<StackSummary[]>> HandleAsync(string organizationUid, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(organizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        var stacks = await db.Stacks.AsNoTracking().Where(s => s.OrganizationUid == organizationUid)
            .OrderBy(s => s.Name).ThenBy(s => s.Uid).Take(MaxStacks).ToListAsync(ct);
        return await SummarizeAsync(db, organizationUid, stacks, null, ct);
    }

    internal static async Task<StackSummary[]> SummarizeAsync(OrgstackDbContext db, string organizationUid, List<Stack> stacks, string? membershipUid, CancellationToken ct)
    {
        var uids = stacks.Select(s => s.Uid).ToList();
        // Members per stack = people holding a role there (read from the assignments' primary key alone) minus pending
        // invitations holding one (found from the organization's pending range): no table row of a member is read,
        // where joining every assignment to its membership read one row per assignment.
        var holders = await db.StackRoleAssignments.AsNoTracking().Where(a => uids.Contains(a.StackUid))
            .Select(a => new { a.StackUid, a.MembershipUid }).Distinct()
            .GroupBy(x => x.StackUid).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        // Not narrowed to these stacks in SQL: that makes SQLite probe the assignments' key once per stack and invitation.
        var pending = await db.Memberships.AsNoTracking().Where(m => m.OrganizationUid == organizationUid && m.Status == MembershipStatus.Pending)
            .Join(db.StackRoleAssignments, m => m.Uid, a => a.MembershipUid, (m, a) => new { a.StackUid, a.MembershipUid })
            .Distinct().GroupBy(x => x.StackUid).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        var counts = holders.ToDictionary(h => h.Key, h => h.Value - pending.GetValueOrDefault(h.Key));
        var ownerUids = stacks.Select(s => s.OwnerUserUid).Distinct().ToList();
        var owners = await db.Memberships.AsNoTracking().Where(m => m.OrganizationUid == organizationUid && m.UserUid != null && ownerUids.Contains(m.UserUid))
            .Select(m => new { m.UserUid, m.Email, m.FirstName, m.LastName }).ToListAsync(ct);
        var myRoles = membershipUid is null
            ? []
            : await db.StackRoleAssignments.AsNoTracking().Where(a => a.MembershipUid == membershipUid && uids.Contains(a.StackUid))
                .Join(db.StackRoles, a => a.RoleUid, r => r.Uid, (a, r) => new { a.StackUid, r.Name }).ToListAsync(ct);
        return stacks.Select(s =>
        {
            var owner = owners.FirstOrDefault(o => o.UserUid == s.OwnerUserUid);
            return new StackSummary(s.Uid, s.ApiKey, s.Name, s.Description, owner?.Email, owner is null ? null : $"{owner.FirstName} {owner.LastName}".Trim(),
                counts.GetValueOrDefault(s.Uid), s.CreatedAt, myRoles.Where(r => r.StackUid == s.Uid).Select(r => r.Name).Order().ToList());
        }).ToArray();
    }
}

/// <summary>The stacks the caller can reach in an organization: those they own and those they hold a role in.</summary>
public sealed class MyStacksQuery(OrgstackDbContext db, OrgAccess access)
{
    public async Task<Result<StackSummary[]>> HandleAsync(string organizationUid, Actor actor, CancellationToken ct)
    {
        var member = await access.MemberAsync(organizationUid, actor, ct);
        if (!member.IsSuccess) return member.Error!;
        var membershipUid = member.Value.Uid;
        var withRole = db.StackRoleAssignments.Where(a => a.MembershipUid == membershipUid).Select(a => a.StackUid);
        var stacks = await db.Stacks.AsNoTracking()
            .Where(s => s.OrganizationUid == organizationUid && (s.OwnerUserUid == actor.UserUid || withRole.Contains(s.Uid)))
            .OrderBy(s => s.Name).ThenBy(s => s.Uid).Take(StacksPageQuery.MaxStacks).ToListAsync(ct);
        return await StacksPageQuery.SummarizeAsync(db, organizationUid, stacks, membershipUid, ct);
    }
}
