using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Invitations;

/// <summary>
/// Accepts an invitation by its link. A signed-in caller must be the invited address; without a session a new account
/// is created for exactly the invited address (refused with "sign in to accept" when that address already has one).
/// The token is consumed by one conditional update in the same transaction as the membership change.
/// </summary>
public sealed class AcceptInvitation(OrgstackDbContext db, Passwords passwords, TimeProvider clock)
{
    public sealed record Request(string? Token, string? FirstName = null, string? LastName = null, string? Password = null, string? RemoteAddress = null);

    public sealed record Accepted(Membership Membership, User User, bool AccountCreated);

    public async Task<Result<Accepted>> HandleAsync(Request request, Actor? actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var token = await InvitationLinks.FindLiveAsync(db, request.Token, TokenPurpose.Invitation, now, ct);
        if (token is null) return MemberErrors.InvalidLink;
        var invitation = await db.Memberships.FirstOrDefaultAsync(m => m.Uid == token.SubjectUid && m.Status == MembershipStatus.Pending, ct);
        if (invitation is null || invitation.Email != token.Email || invitation.OrganizationUid != token.OrganizationUid) return MemberErrors.InvalidLink;
        if (!await db.Organizations.AnyAsync(o => o.Uid == invitation.OrganizationUid && o.Enabled, ct)) return MemberErrors.InvalidLink;
        // Re-checked at acceptance: an invitation never makes an Owner, whatever happened to the row.
        if (invitation.Role is not (OrgRole.Admin or OrgRole.Member)) return MemberErrors.InvalidLink;

        User? user;
        var created = false;
        if (actor is not null && !actor.IsSystem)
        {
            if (!string.Equals(actor.Email, invitation.Email, StringComparison.Ordinal)) return MemberErrors.WrongAccount;
            user = await db.Users.FirstOrDefaultAsync(u => u.Uid == actor.UserUid, ct);
            if (user is null) return MemberErrors.WrongAccount;
        }
        else
        {
            if (await db.Users.AnyAsync(u => u.Email == invitation.Email, ct)) return MemberErrors.SignInToAccept;
            var built = NewAccount.Build(passwords, invitation.Email, request.FirstName, request.LastName, request.Password, now);
            if (!built.IsSuccess) return built.Error!;
            user = built.Value;
            created = true;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // The organization lock orders this accept with a concurrent removal (which takes the same lock): either the
        // removal revoked the link first (refused here), or it sees the accepted member and records a removal.
        await OrganizationLock.LockAsync(db, invitation.OrganizationUid, ct);
        if (!await InvitationLinks.ConsumeAsync(db, token.TokenHash, TokenPurpose.Invitation, now, ct))
        {
            await transaction.RollbackAsync(ct);
            return MemberErrors.InvalidLink;
        }
        await InvitationLinks.RevokeAsync(db, TokenPurpose.Invitation, [invitation.Uid], now, ct);
        if (created) db.Users.Add(user);
        invitation.Status = MembershipStatus.Accepted;
        invitation.UserUid = user.Uid;
        invitation.AcceptedAt = now;
        invitation.InvitationExpiresAt = null;
        invitation.UpdatedAt = now;
        invitation.LastLoginAt = user.LastLoginAt;
        invitation.SetName(user.FirstName, user.LastName);
        var auditActor = actor ?? new Actor(user.Uid, user.Email, request.RemoteAddress);
        if (created)
            db.AuditEvents.Add(Audit.Audit.Event(auditActor, now, invitation.OrganizationUid, "user", "create_account", "user", user.Uid, user.Email,
                new { via = "invitation" }));
        db.AuditEvents.Add(Audit.Audit.Event(auditActor, now, invitation.OrganizationUid, "user", "accept_invitation", "membership", invitation.Uid, invitation.Email,
            new { role = OrgRoles.NameOf(invitation.Role) }));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException) when (created)
        {
            // The same address got an account in parallel (another invitation accepted at the same moment).
            await transaction.RollbackAsync(ct);
            return MemberErrors.SignInToAccept;
        }
        await transaction.CommitAsync(ct);
        return new Accepted(invitation, user, created);
    }
}
