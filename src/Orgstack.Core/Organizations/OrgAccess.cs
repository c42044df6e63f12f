using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;

namespace Orgstack.Core.Organizations;

/// <summary>
/// Finds the caller's accepted membership of an organization. An organization the caller does not belong to
/// answers as not found, never as forbidden, so its existence is not revealed.
/// </summary>
public sealed class OrgAccess(OrgstackDbContext db)
{
    public async Task<Result<Membership>> MemberAsync(string organizationUid, Actor actor, CancellationToken ct)
    {
        if (!Ids.LooksValid(organizationUid)) return CommonErrors.OrganizationNotFound;
        var membership = await db.Memberships.AsNoTracking().FirstOrDefaultAsync(
            m => m.OrganizationUid == organizationUid && m.UserUid == actor.UserUid && m.Status == MembershipStatus.Accepted, ct);
        if (membership is null) return CommonErrors.OrganizationNotFound;
        var enabled = await db.Organizations.AsNoTracking().Where(o => o.Uid == organizationUid).Select(o => o.Enabled).FirstOrDefaultAsync(ct);
        if (!enabled) return CommonErrors.OrganizationNotFound;
        var sso = await Sso.SsoGate.CheckAsync(db, membership, actor, ct);
        return sso is null ? membership : sso;
    }

    /// <summary>The caller's membership when it is Owner or Admin.</summary>
    public async Task<Result<Membership>> AdminAsync(string organizationUid, Actor actor, CancellationToken ct)
    {
        var member = await MemberAsync(organizationUid, actor, ct);
        if (!member.IsSuccess) return member;
        return OrgPermissions.CanAdminister(member.Value.Role) ? member : CommonErrors.NotAdmin;
    }

    public async Task<Result<Membership>> OwnerAsync(string organizationUid, Actor actor, CancellationToken ct)
    {
        var member = await MemberAsync(organizationUid, actor, ct);
        if (!member.IsSuccess) return member;
        return member.Value.Role == OrgRole.Owner ? member : CommonErrors.NotOwner;
    }
}
