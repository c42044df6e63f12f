using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Invitations;

/// <summary>Withdraws a pending invitation: the row, its stack roles and its links are gone at once.</summary>
public sealed class RevokeInvitation(OrgstackDbContext db, OrgAccess access, TimeProvider clock)
{
    public sealed record Request(string OrganizationUid, string ShareUid);

    public async Task<Result<Membership>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(request.OrganizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        if (!Ids.LooksValid(request.ShareUid)) return MemberErrors.ShareNotFound;
        var invitation = await db.Memberships.FirstOrDefaultAsync(m => m.Uid == request.ShareUid && m.OrganizationUid == request.OrganizationUid, ct);
        if (invitation is null) return MemberErrors.ShareNotFound;
        if (invitation.Status != MembershipStatus.Pending) return MemberErrors.NotPending;

        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await InvitationLinks.RevokeAsync(db, TokenPurpose.Invitation, [invitation.Uid], now, ct);
        await db.StackRoleAssignments.Where(a => a.MembershipUid == invitation.Uid).ExecuteDeleteAsync(ct);
        db.Memberships.Remove(invitation);
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, request.OrganizationUid, "user", "revoke_invitation", "membership", invitation.Uid, invitation.Email));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return invitation;
    }
}
