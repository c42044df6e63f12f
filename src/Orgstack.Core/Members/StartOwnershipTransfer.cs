using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Invitations;
using Orgstack.Core.Mail;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Members;

/// <summary>
/// The Owner offers ownership to an email (a member or anyone). One pending offer at a time, enforced by a unique
/// partial index; an offer past its expiry is closed first so it does not block a new one.
/// </summary>
public sealed class StartOwnershipTransfer(OrgstackDbContext db, OrgAccess access, MailComposer mail, OrgstackOptions options, TimeProvider clock)
{
    public sealed record Request(string OrganizationUid, string? TransferTo);

    public async Task<Result<OwnershipTransfer>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var owner = await access.OwnerAsync(request.OrganizationUid, actor, ct);
        if (!owner.IsSuccess) return owner.Error!;
        if (!Emails.IsValid(request.TransferTo)) return Error.Validation("ownership.email_invalid", "The email address is not valid.", "transfer_to");
        var email = Emails.Normalize(request.TransferTo!);
        if (email == owner.Value.Email) return MemberErrors.TransferToSelf;

        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await OrganizationLock.LockAsync(db, request.OrganizationUid, ct);
        await db.OwnershipTransfers.Where(t => t.OrganizationUid == request.OrganizationUid && t.Status == TransferStatus.Pending && t.ExpiresAt <= now)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.Status, TransferStatus.Expired).SetProperty(t => t.CompletedAt, now), ct);
        if (await db.OwnershipTransfers.AnyAsync(t => t.OrganizationUid == request.OrganizationUid && t.Status == TransferStatus.Pending, ct))
        {
            await transaction.RollbackAsync(ct);
            return MemberErrors.TransferPending;
        }

        var organizationName = await db.Organizations.Where(o => o.Uid == request.OrganizationUid).Select(o => o.Name).FirstAsync(ct);
        var transfer = new OwnershipTransfer
        {
            Uid = Ids.New(), OrganizationUid = request.OrganizationUid, FromUserUid = actor.UserUid, ToEmail = email,
            Status = TransferStatus.Pending, CreatedAt = now, ExpiresAt = now.AddHours(options.Invitations.OwnershipTransferExpiryHours),
        };
        var token = Secrets.NewToken();
        db.OwnershipTransfers.Add(transfer);
        db.ActionTokens.Add(new ActionToken
        {
            TokenHash = Secrets.Hash(token), Uid = Ids.New(), Purpose = TokenPurpose.OwnershipTransfer, UserUid = actor.UserUid,
            OrganizationUid = request.OrganizationUid, Email = email, SubjectUid = transfer.Uid, CreatedAt = now, ExpiresAt = transfer.ExpiresAt,
        });
        db.OutboxMessages.Add(mail.Compose("ownership_transfer", email, $"Become the Owner of {organizationName} on Orgstack", request.OrganizationUid,
        [
            $"{actor.Email} offers you the ownership of the organization \"{organizationName}\" on Orgstack.",
            "When you accept, you become its Owner and they become a Member.",
            $"The link works once and expires on {transfer.ExpiresAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC.",
        ], ("Accept the ownership", mail.Link(InvitationLinks.OwnershipPath(token)))));
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, request.OrganizationUid, "organization", "start_ownership_transfer", "ownership_transfer",
            transfer.Uid, email));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The unique partial index caught a parallel start.
            await transaction.RollbackAsync(ct);
            return MemberErrors.TransferPending;
        }
        await transaction.CommitAsync(ct);
        return transfer;
    }
}
