using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Mail;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Invitations;

/// <summary>Sends a pending invitation again with a new link; every earlier link of it stops working.</summary>
public sealed class ResendInvitation(OrgstackDbContext db, OrgAccess access, MailComposer mail, OrgstackOptions options, TimeProvider clock)
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
        // The role is re-checked: an invitation never carries Owner, and an Admin may hand out only what it could.
        if (!OrgPermissions.CanAssign(admin.Value.Role, invitation.Role)) return MemberErrors.OwnerNotAssignable;

        var now = clock.GetUtcNow();
        var organizationName = await db.Organizations.Where(o => o.Uid == request.OrganizationUid).Select(o => o.Name).FirstAsync(ct);
        var inviter = await db.Users.AsNoTracking().FirstAsync(u => u.Uid == actor.UserUid, ct);
        var inviterName = inviter.DisplayName is { Length: > 0 } n ? $"{n} ({inviter.Email})" : inviter.Email;

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await InvitationLinks.RevokeAsync(db, TokenPurpose.Invitation, [invitation.Uid], now, ct);
        invitation.UpdatedAt = now;
        InvitationLinks.Issue(db, mail, options, invitation, organizationName, inviterName, now);
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, request.OrganizationUid, "user", "resend_invitation", "membership", invitation.Uid, invitation.Email));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return invitation;
    }
}
