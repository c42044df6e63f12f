using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Invitations;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Members;

/// <summary>
/// Gives one organization role (Admin or Member) to 1..Bulk:MaxUsersPerAction members or pending invitations, named by
/// email, user uid or share uid. <b>All or nothing</b>: every named person is checked first; if any one cannot be given
/// the role (not found, the Owner, the caller themselves, a role the caller may not assign), nobody changes and each
/// person's line says why (the refused ones) or "skipped" (the others). Someone who already holds the role is
/// "unchanged" and does not block the others. Applied changes happen in one transaction under the organization lock,
/// each conditional on the role read, with one <c>user.change_roles</c> audit event per person changed.
/// </summary>
public sealed class ChangeMembersRole(OrgstackDbContext db, OrgAccess access, OrgstackOptions options, TimeProvider clock)
{
    public sealed record Request(string OrganizationUid, IReadOnlyList<string>? Users, string? Role);

    /// <summary><paramref name="Applied"/> false means nothing changed: at least one line is refused.</summary>
    public sealed record Outcome(bool Applied, IReadOnlyList<MemberActionResult> Users)
    {
        public int Changed => Users.Count(u => u.Status == "done");
    }

    public static readonly Error RoleRequired = Error.Validation("member.role_required",
        "Choose the organization role to give: admin or member.", "role", "must be admin or member.");

    public async Task<Result<Outcome>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(request.OrganizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        var max = Math.Max(1, options.Bulk.MaxUsersPerAction);
        var named = (request.Users ?? []).Where(u => !string.IsNullOrWhiteSpace(u)).Select(u => u.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (named.Count == 0 || named.Any(n => n.Length > Emails.MaxLength)) return AdminAccountErrors.UsersRequired(max);
        if (named.Count > max) return AdminAccountErrors.TooMany(max, named.Count);
        if (string.IsNullOrWhiteSpace(request.Role)) return RoleRequired;
        var role = OrgRoles.Parse(request.OrganizationUid, request.Role.Trim());
        if (role is null) return MemberErrors.UnknownRole;
        if (role == OrgRole.Owner) return MemberErrors.OwnerChangesOnlyByTransfer;
        if (!OrgPermissions.CanAssign(admin.Value.Role, role.Value)) return MemberErrors.OwnerNotAssignable;

        var emails = named.Where(n => n.Contains('@')).Select(Emails.Normalize).ToList();
        var uids = named.Where(n => !n.Contains('@')).ToList();
        var now = clock.GetUtcNow();
        var label = role == OrgRole.Admin ? "Admin" : "Member";

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // Same lock as removals, accepts and single role changes: what is read below stays true until commit.
        await OrganizationLock.LockAsync(db, request.OrganizationUid, ct);
        var found = await db.Memberships.AsNoTracking()
            .Where(m => m.OrganizationUid == request.OrganizationUid
                        && (emails.Contains(m.Email) || uids.Contains(m.Uid) || (m.UserUid != null && uids.Contains(m.UserUid))))
            .ToListAsync(ct);

        var lines = new List<(string Requested, Membership? Member, MemberActionResult? Refused)>();
        foreach (var n in named)
        {
            var m = n.Contains('@')
                ? found.FirstOrDefault(x => x.Email == Emails.Normalize(n))
                : found.FirstOrDefault(x => x.Uid == n) ?? found.FirstOrDefault(x => x.UserUid == n);
            MemberActionResult? refused = null;
            if (m is null) refused = new(n, null, null, "not_found", "Not a member or pending invitation of this organization.");
            else if (m.Role == OrgRole.Owner) refused = new(n, m.UserUid, m.Email, "not_allowed", "The Owner's role changes only by transferring ownership.");
            else if (m.Uid == admin.Value.Uid) refused = new(n, m.UserUid, m.Email, "not_allowed", "You cannot change your own organization role.");
            lines.Add((n, m, refused));
        }

        if (lines.Any(l => l.Refused is not null))
        {
            await transaction.RollbackAsync(ct);
            return new Outcome(false, lines.Select(l => l.Refused
                ?? new MemberActionResult(l.Requested, l.Member!.UserUid, l.Member.Email, "skipped", "Not changed: the whole change was refused.")).ToList());
        }

        var results = new List<MemberActionResult>();
        var demoted = new List<string>();
        foreach (var (requested, member, _) in lines)
        {
            var m = member!;
            if (m.Role == role)
            {
                results.Add(new(requested, m.UserUid, m.Email, "unchanged", $"Already {label}."));
                continue;
            }
            var oldRole = m.Role;
            var changed = await db.Memberships.Where(x => x.Uid == m.Uid && x.Role == oldRole && x.Role != OrgRole.Owner)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.Role, role.Value).SetProperty(x => x.UpdatedAt, now), ct);
            if (changed != 1)
            {
                // Only possible if the lock was bypassed; stay all-or-nothing.
                await transaction.RollbackAsync(ct);
                return MemberErrors.OwnerChangesOnlyByTransfer;
            }
            if (role == OrgRole.Member && m.UserUid is not null) demoted.Add(m.UserUid);
            db.AuditEvents.Add(Audit.Audit.Event(actor, now, request.OrganizationUid, "user", "change_roles", "membership", m.Uid, m.Email, new
            {
                from_role = OrgRoles.NameOf(oldRole),
                to_role = OrgRoles.NameOf(role.Value),
                stacks = (object?)null,
            }));
            results.Add(new(requested, m.UserUid, m.Email, "done", $"Now {label}."));
        }
        // A Member cannot invite: invitations an Admin sent stop working when they become a Member (as in ChangeMemberRoles).
        if (demoted.Count > 0) await InvitationLinks.RevokeSentByAsync(db, request.OrganizationUid, demoted, now, ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return new Outcome(true, results);
    }
}
