using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;

namespace Orgstack.Core.Organizations;

public sealed record OrganizationOverview(int Members, int PendingInvitations, int MaxUsers, int Stacks, int MaxStacks, string PlanName, DateTimeOffset? PlanExpiresAt);

/// <summary>The figures on an admin's landing page: members, pending invitations and stacks against the plan's limits.</summary>
public sealed class OrganizationOverviewQuery(OrgstackDbContext db, OrgAccess access)
{
    public async Task<Result<OrganizationOverview>> HandleAsync(string organizationUid, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(organizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        var organization = await db.Organizations.AsNoTracking().FirstAsync(o => o.Uid == organizationUid, ct);
        var byStatus = await db.Memberships.AsNoTracking().Where(m => m.OrganizationUid == organizationUid)
            .GroupBy(m => m.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        var stacks = await db.Stacks.AsNoTracking().CountAsync(s => s.OrganizationUid == organizationUid, ct);
        return new OrganizationOverview(
            byStatus.Where(s => s.Key == MembershipStatus.Accepted).Sum(s => s.Count),
            byStatus.Where(s => s.Key == MembershipStatus.Pending).Sum(s => s.Count),
            organization.MaxUsers, stacks, organization.MaxStacks, organization.PlanName, organization.PlanExpiresAt);
    }
}
