using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Invitations;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Members;

/// <summary>The Owner withdraws the pending ownership offer; its link stops working.</summary>
public sealed class CancelOwnershipTransfer(OrgstackDbContext db, OrgAccess access, TimeProvider clock)
{
    public async Task<Result<OwnershipTransfer>> HandleAsync(string organizationUid, Actor actor, CancellationToken ct)
    {
        var owner = await access.OwnerAsync(organizationUid, actor, ct);
        if (!owner.IsSuccess) return owner.Error!;
        var now = clock.GetUtcNow();
        var transfer = await db.OwnershipTransfers.FirstOrDefaultAsync(t => t.OrganizationUid == organizationUid && t.Status == TransferStatus.Pending, ct);
        if (transfer is null) return MemberErrors.NoPendingTransfer;

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var cancelled = await db.OwnershipTransfers.Where(t => t.Uid == transfer.Uid && t.Status == TransferStatus.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.Status, TransferStatus.Cancelled).SetProperty(t => t.CompletedAt, now), ct);
        if (cancelled != 1)
        {
            await transaction.RollbackAsync(ct);
            return MemberErrors.NoPendingTransfer;
        }
        await InvitationLinks.RevokeAsync(db, TokenPurpose.OwnershipTransfer, [transfer.Uid], now, ct);
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, organizationUid, "organization", "cancel_ownership_transfer", "ownership_transfer", transfer.Uid, transfer.ToEmail));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        transfer.Status = TransferStatus.Cancelled;
        transfer.CompletedAt = now;
        return transfer;
    }
}
