using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Plans;

/// <summary>
/// The organization's plan, its limits and the usage against each (Owner or Admin); billing details only for the Owner.
/// </summary>
public sealed class GetPlanAndUsage(OrgstackDbContext db, OrgAccess access, TimeProvider clock)
{
    public sealed record Usage(long Members, long PendingInvitations, long Stacks)
    {
        /// <summary>What the user limit counts: members plus pending invitations.</summary>
        public long Users => Members + PendingInvitations;
    }

    public sealed record Billing(string? Email, string? Address, string? PaymentMethod);

    public sealed record View(Organization Organization, OrgRole CallerRole, Usage Usage, bool Expired, Billing? Billing);

    public async Task<Result<View>> HandleAsync(string organizationUid, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(organizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        var organization = await db.Organizations.AsNoTracking().FirstAsync(o => o.Uid == organizationUid, ct);
        var members = await db.Memberships.LongCountAsync(m => m.OrganizationUid == organizationUid && m.Status == MembershipStatus.Accepted, ct);
        var pending = await db.Memberships.LongCountAsync(m => m.OrganizationUid == organizationUid && m.Status == MembershipStatus.Pending, ct);
        var stacks = await db.Stacks.LongCountAsync(s => s.OrganizationUid == organizationUid, ct);
        var billing = OrgPermissions.CanSeeBilling(admin.Value.Role)
            ? new Billing(organization.BillingEmail, organization.BillingAddress, organization.BillingPaymentMethod)
            : null;
        var expired = organization.PlanExpiresAt is { } expires && expires <= clock.GetUtcNow();
        return new View(organization, admin.Value.Role, new Usage(members, pending, stacks), expired, billing);
    }
}
