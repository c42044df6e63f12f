using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Invitations;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Members;

/// <summary>
/// Removes members and pending invitations by email, all or nothing. Their stack roles go with them at once (the
/// assignments hang off the membership) and the links of removed invitations stop working. The Owner stays.
/// </summary>
public sealed class RemoveMembers(OrgstackDbContext db, OrgAccess access, OrgstackOptions options, TimeProvider clock)
{
    public sealed record Request(string OrganizationUid, IReadOnlyList<string> Emails);

    public async Task<Result<IReadOnlyList<Membership>>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(request.OrganizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        if (request.Emails.Count == 0) return MemberErrors.NoEmails;
        if (request.Emails.Count > options.Invitations.MaxAddressesPerRequest) return MemberErrors.TooManyUsers;
        var emails = new List<string>();
        foreach (var raw in request.Emails)
        {
            if (!Emails.IsValid(raw)) return MemberErrors.InvalidEmail;
            emails.Add(Emails.Normalize(raw));
        }
        emails = emails.Distinct().ToList();

        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await OrganizationLock.LockAsync(db, request.OrganizationUid, ct);
        var members = await db.Memberships.Where(m => m.OrganizationUid == request.OrganizationUid && emails.Contains(m.Email)).ToListAsync(ct);
        if (members.Count != emails.Count)
        {
            await transaction.RollbackAsync(ct);
            return MemberErrors.NotFoundEmail(emails.First(e => members.All(m => m.Email != e)));
        }
        if (members.Any(m => m.Role == OrgRole.Owner))
        {
            await transaction.RollbackAsync(ct);
            return MemberErrors.OwnerCannotBeRemoved;
        }

        var uids = members.Select(m => m.Uid).ToList();
        await InvitationLinks.RevokeAsync(db, TokenPurpose.Invitation, uids, now, ct);
        var removedUsers = members.Where(m => m.UserUid is not null).Select(m => m.UserUid!).ToList();
        if (removedUsers.Count > 0) await InvitationLinks.RevokeSentByAsync(db, request.OrganizationUid, removedUsers, now, ct);
        await db.StackRoleAssignments.Where(a => uids.Contains(a.MembershipUid)).ExecuteDeleteAsync(ct);
        var removed = await db.Memberships.Where(m => uids.Contains(m.Uid) && m.Role != OrgRole.Owner).ExecuteDeleteAsync(ct);
        if (removed != uids.Count)
        {
            await transaction.RollbackAsync(ct);
            return MemberErrors.OwnerCannotBeRemoved;
        }
        foreach (var member in members)
        {
            db.Entry(member).State = EntityState.Detached;
            db.AuditEvents.Add(Audit.Audit.Event(actor, now, request.OrganizationUid, "user",
                member.Status == MembershipStatus.Pending ? "revoke_invitation" : "remove", "membership", member.Uid, member.Email,
                new { role = OrgRoles.NameOf(member.Role), status = member.Status.ToString().ToLowerInvariant() }));
        }
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return members;
    }
}
