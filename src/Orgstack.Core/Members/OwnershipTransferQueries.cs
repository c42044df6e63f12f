using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Invitations;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Members;

public sealed record OwnershipOfferView(string OrganizationUid, string OrganizationName, string ToEmail, string FromEmail, DateTimeOffset ExpiresAt);

/// <summary>
/// What the landing page of an ownership link shows. Read-only (a mail scanner's GET consumes nothing) and silent on
/// whether the nominee already has an account.
/// </summary>
public sealed class DescribeOwnershipTransfer(OrgstackDbContext db, TimeProvider clock)
{
    public async Task<Result<OwnershipOfferView>> HandleAsync(string? token, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var found = await InvitationLinks.FindLiveAsync(db, token, TokenPurpose.OwnershipTransfer, now, ct);
        if (found is null) return MemberErrors.InvalidTransferLink;
        var row = await (from t in db.OwnershipTransfers.AsNoTracking()
                         join o in db.Organizations.AsNoTracking() on t.OrganizationUid equals o.Uid
                         join u in db.Users.AsNoTracking() on t.FromUserUid equals u.Uid
                         where t.Uid == found.SubjectUid && t.Status == TransferStatus.Pending && t.ExpiresAt > now && o.Enabled
                         select new { t.OrganizationUid, o.Name, t.ToEmail, From = u.Email, t.ExpiresAt }).FirstOrDefaultAsync(ct);
        if (row is null || row.ToEmail != found.Email) return MemberErrors.InvalidTransferLink;
        return new OwnershipOfferView(row.OrganizationUid, row.Name, row.ToEmail, row.From, row.ExpiresAt);
    }
}

/// <summary>The Owner's view of the pending (not yet expired) ownership offer of their organization, or null.</summary>
public sealed class GetPendingOwnershipTransfer(OrgstackDbContext db, OrgAccess access, TimeProvider clock)
{
    public async Task<Result<OwnershipTransfer?>> HandleAsync(string organizationUid, Actor actor, CancellationToken ct)
    {
        var owner = await access.OwnerAsync(organizationUid, actor, ct);
        if (!owner.IsSuccess) return owner.Error!;
        var now = clock.GetUtcNow();
        var pending = await db.OwnershipTransfers.AsNoTracking()
            .FirstOrDefaultAsync(t => t.OrganizationUid == organizationUid && t.Status == TransferStatus.Pending && t.ExpiresAt > now, ct);
        return pending;
    }
}
