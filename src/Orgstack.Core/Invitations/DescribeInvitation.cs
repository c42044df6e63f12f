using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Invitations;

public sealed record InvitationView(string OrganizationUid, string OrganizationName, string Email, OrgRole Role, string InvitedBy, DateTimeOffset ExpiresAt);

/// <summary>
/// What the landing page shows for an invitation link. Read-only (a mail scanner's GET consumes nothing) and silent on
/// whether the address already has an account.
/// </summary>
public sealed class DescribeInvitation(OrgstackDbContext db, TimeProvider clock)
{
    public async Task<Result<InvitationView>> HandleAsync(string? token, Actor? actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var found = await InvitationLinks.FindLiveAsync(db, token, TokenPurpose.Invitation, now, ct);
        if (found is null) return MemberErrors.InvalidLink;
        var row = await (from m in db.Memberships.AsNoTracking()
                         join o in db.Organizations.AsNoTracking() on m.OrganizationUid equals o.Uid
                         where m.Uid == found.SubjectUid && m.Status == MembershipStatus.Pending && o.Enabled
                         select new { m, o.Name }).FirstOrDefaultAsync(ct);
        if (row is null || row.m.Email != found.Email) return MemberErrors.InvalidLink;
        var inviter = row.m.InvitedByUserUid is null ? null
            : await db.Users.AsNoTracking().Where(u => u.Uid == row.m.InvitedByUserUid).Select(u => new { u.FirstName, u.LastName, u.Email }).FirstOrDefaultAsync(ct);
        var invitedBy = inviter is null ? "Orgstack" : $"{inviter.FirstName} {inviter.LastName}".Trim() is { Length: > 0 } n ? n : inviter.Email;
        return new InvitationView(row.m.OrganizationUid, row.Name, row.m.Email, row.m.Role, invitedBy, found.ExpiresAt);
    }
}
