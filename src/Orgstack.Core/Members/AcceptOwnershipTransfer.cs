using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Invitations;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Members;

/// <summary>
/// The nominee, signed in as the offered address (or, without an account yet, creating one for exactly that address),
/// accepts: they become Owner and the previous Owner a Member, in one
/// transaction. The old Owner is demoted first with a conditional update, then the nominee promoted; each must touch
/// exactly one row, and the unique "one Owner" index backs it, so parallel accepts end with exactly one Owner.
/// Nothing else changes: the previous Owner keeps the stacks they created and the stack roles they were given.
/// </summary>
public sealed class AcceptOwnershipTransfer(OrgstackDbContext db, Passwords passwords, TimeProvider clock)
{
    public sealed record Request(string? Token, string? FirstName = null, string? LastName = null, string? Password = null, string? RemoteAddress = null);

    public async Task<Result<Membership>> HandleAsync(Request request, Actor? actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var token = await InvitationLinks.FindLiveAsync(db, request.Token, TokenPurpose.OwnershipTransfer, now, ct);
        if (token is null) return MemberErrors.InvalidTransferLink;
        var transfer = await db.OwnershipTransfers.AsNoTracking()
            .FirstOrDefaultAsync(t => t.Uid == token.SubjectUid && t.Status == TransferStatus.Pending && t.ExpiresAt > now, ct);
        if (transfer is null || transfer.ToEmail != token.Email) return MemberErrors.InvalidTransferLink;
        if (!await db.Organizations.AnyAsync(o => o.Uid == transfer.OrganizationUid && o.Enabled, ct)) return MemberErrors.InvalidTransferLink;
        User? user;
        var created = false;
        if (actor is not null && !actor.IsSystem)
        {
            if (!string.Equals(actor.Email, transfer.ToEmail, StringComparison.Ordinal)) return MemberErrors.WrongTransferAccount;
            user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Uid == actor.UserUid, ct);
            if (user is null) return MemberErrors.WrongTransferAccount;
        }
        else
        {
            if (await db.Users.AnyAsync(u => u.Email == transfer.ToEmail, ct)) return MemberErrors.SignInToAcceptTransfer;
            var built = NewAccount.Build(passwords, transfer.ToEmail, request.FirstName, request.LastName, request.Password, now);
            if (!built.IsSuccess) return built.Error!;
            user = built.Value;
            created = true;
        }
        actor ??= new Actor(user.Uid, user.Email, request.RemoteAddress);
        var organizationUid = transfer.OrganizationUid;

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await OrganizationLock.LockAsync(db, organizationUid, ct);
        if (!await InvitationLinks.ConsumeAsync(db, token.TokenHash, TokenPurpose.OwnershipTransfer, now, ct)
            || await db.OwnershipTransfers.Where(t => t.Uid == transfer.Uid && t.Status == TransferStatus.Pending)
                .ExecuteUpdateAsync(u => u.SetProperty(t => t.Status, TransferStatus.Accepted).SetProperty(t => t.CompletedAt, now), ct) != 1)
        {
            await transaction.RollbackAsync(ct);
            return MemberErrors.InvalidTransferLink;
        }

        var oldOwner = await db.Memberships.AsNoTracking()
            .FirstOrDefaultAsync(m => m.OrganizationUid == organizationUid && m.Role == OrgRole.Owner, ct);
        if (oldOwner is null || oldOwner.UserUid != transfer.FromUserUid)
        {
            // The organization changed hands some other way since the offer was made.
            await transaction.RollbackAsync(ct);
            return MemberErrors.InvalidTransferLink;
        }

        if (created)
        {
            db.Users.Add(user);
            db.AuditEvents.Add(Audit.Audit.Event(actor, now, organizationUid, "user", "create_account", "user", user.Uid, user.Email, new { via = "ownership_transfer" }));
        }
        var nominee = await db.Memberships.FirstOrDefaultAsync(m => m.OrganizationUid == organizationUid && m.Email == transfer.ToEmail, ct);
        if (nominee is null)
        {
            nominee = new Membership
            {
                Uid = Ids.New(), OrganizationUid = organizationUid, Email = user.Email, Role = OrgRole.Member, Status = MembershipStatus.Accepted,
                InvitedByUserUid = transfer.FromUserUid, InvitedAt = now, CreatedAt = now, UpdatedAt = now,
            };
            db.Memberships.Add(nominee);
        }
        if (nominee.Status == MembershipStatus.Pending) await InvitationLinks.RevokeAsync(db, TokenPurpose.Invitation, [nominee.Uid], now, ct);
        nominee.Status = MembershipStatus.Accepted;
        nominee.UserUid = user.Uid;
        nominee.AcceptedAt ??= now;
        nominee.InvitationExpiresAt = null;
        nominee.LastLoginAt = user.LastLoginAt;
        nominee.UpdatedAt = now;
        nominee.SetName(user.FirstName, user.LastName);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException) when (created)
        {
            await transaction.RollbackAsync(ct);
            return MemberErrors.SignInToAcceptTransfer;
        }

        var demoted = await db.Memberships.Where(m => m.Uid == oldOwner.Uid && m.Role == OrgRole.Owner)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.Role, OrgRole.Member).SetProperty(m => m.UpdatedAt, now), ct);
        var promoted = demoted != 1 ? 0 : await db.Memberships.Where(m => m.Uid == nominee.Uid && m.Role != OrgRole.Owner)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.Role, OrgRole.Owner).SetProperty(m => m.UpdatedAt, now), ct);
        if (promoted != 1)
        {
            await transaction.RollbackAsync(ct);
            return MemberErrors.InvalidTransferLink;
        }
        nominee.Role = OrgRole.Owner;
        if (oldOwner.UserUid is not null) await InvitationLinks.RevokeSentByAsync(db, organizationUid, [oldOwner.UserUid], now, ct);
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, organizationUid, "organization", "accept_ownership_transfer", "ownership_transfer", transfer.Uid,
            transfer.ToEmail, new { from_user_uid = oldOwner.UserUid, from_email = oldOwner.Email, to_user_uid = user.Uid }));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return nominee;
    }
}
