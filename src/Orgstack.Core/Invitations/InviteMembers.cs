using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Mail;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Invitations;

/// <summary>
/// Invites one or many addresses, each with exactly one organization role (admin or member) and optional stack roles.
/// Every address gets its own outcome: a refused address never stops the others. All accepted addresses are written in
/// one transaction (memberships, stack roles, tokens, mails, audit), with the plan's user limit checked inside it.
/// </summary>
public sealed class InviteMembers(OrgstackDbContext db, OrgAccess access, MailComposer mail, OrgstackOptions options, TimeProvider clock)
{
    public sealed record Invitee(string Email, IReadOnlyList<string> OrgRoles, IReadOnlyDictionary<string, IReadOnlyList<string>>? Stacks = null);

    /// <param name="AccessWithoutSso">Every address of the request may also use its password (SSO organizations without strict mode).</param>
    public sealed record Request(string OrganizationUid, IReadOnlyList<Invitee> Invitees, string? Message = null, bool AccessWithoutSso = false);

    public sealed record Outcome(string Email, Membership? Invitation, Error? Error);

    public async Task<Result<IReadOnlyList<Outcome>>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(request.OrganizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        if (request.Invitees.Count == 0) return MemberErrors.NoAddresses;
        if (request.Invitees.Count > options.Invitations.MaxAddressesPerRequest) return MemberErrors.TooManyAddresses;
        var message = string.IsNullOrWhiteSpace(request.Message) ? null : request.Message.Trim();
        if (message is { Length: > 2000 }) return MemberErrors.MessageTooLong;
        if (request.AccessWithoutSso && await Sso.SsoAccessRule.CheckAsync(db, request.OrganizationUid, ct) is { } ssoError) return ssoError;

        var organizationUid = request.OrganizationUid;
        var now = clock.GetUtcNow();
        var outcomes = new Outcome[request.Invitees.Count];
        var candidates = new List<(int Index, string Email, OrgRole Role, Invitee Invitee)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        for (var i = 0; i < request.Invitees.Count; i++)
        {
            var invitee = request.Invitees[i];
            if (!Emails.IsValid(invitee.Email)) { outcomes[i] = new(invitee.Email ?? "", null, MemberErrors.InvalidEmail); continue; }
            var email = Emails.Normalize(invitee.Email);
            if (!seen.Add(email)) { outcomes[i] = new(email, null, MemberErrors.AlreadyInvited); continue; }
            if (invitee.OrgRoles.Count != 1) { outcomes[i] = new(email, null, MemberErrors.RoleRequired); continue; }
            var role = OrgRoles.Parse(organizationUid, invitee.OrgRoles[0]);
            if (role is null) { outcomes[i] = new(email, null, MemberErrors.UnknownRole); continue; }
            if (!OrgPermissions.CanAssign(admin.Value.Role, role.Value)) { outcomes[i] = new(email, null, MemberErrors.OwnerNotAssignable); continue; }
            candidates.Add((i, email, role.Value, invitee));
        }

        var grants = await StackGrants.LoadAsync(db, organizationUid, candidates.Select(c => c.Invitee.Stacks), ct);
        var inviter = await db.Users.AsNoTracking().Where(u => u.Uid == actor.UserUid).Select(u => new { u.FirstName, u.LastName, u.Email }).FirstAsync(ct);
        var inviterName = $"{inviter.FirstName} {inviter.LastName}".Trim() is { Length: > 0 } n ? $"{n} ({inviter.Email})" : inviter.Email;

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await OrganizationLock.LockAsync(db, organizationUid, ct);
        var organization = await db.Organizations.AsNoTracking().Where(o => o.Uid == organizationUid)
            .Select(o => new { o.Name, o.MaxUsers }).FirstAsync(ct);
        var emails = candidates.Select(c => c.Email).ToList();
        var existing = await db.Memberships.AsNoTracking().Where(m => m.OrganizationUid == organizationUid && EF.Parameter(emails).Contains(m.Email))
            .Select(m => new { m.Email, m.Status }).ToDictionaryAsync(m => m.Email, m => m.Status, ct);
        var seats = organization.MaxUsers - await db.Memberships.CountAsync(m => m.OrganizationUid == organizationUid, ct);

        var created = 0;
        // Thousands of new rows: skip the per-call change scan; everything here is added, never modified.
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        foreach (var (index, email, role, invitee) in candidates)
        {
            if (existing.TryGetValue(email, out var status))
            {
                outcomes[index] = new(email, null, status == MembershipStatus.Accepted ? MemberErrors.AlreadyMember : MemberErrors.AlreadyInvited);
                continue;
            }
            var invitation = new Membership
            {
                Uid = Ids.New(), OrganizationUid = organizationUid, Email = email, Role = role, Status = MembershipStatus.Pending,
                InvitedByUserUid = actor.UserUid, Message = message, InvitedAt = now, CreatedAt = now, UpdatedAt = now,
                AccessWithoutSso = request.AccessWithoutSso,
            };
            var assignments = grants.Resolve(invitee.Stacks, invitation.Uid, now);
            if (!assignments.IsSuccess) { outcomes[index] = new(email, null, assignments.Error); continue; }
            if (created >= seats) { outcomes[index] = new(email, null, MemberErrors.UserLimitReached); continue; }

            invitation.SetName("", "");
            db.Memberships.Add(invitation);
            db.StackRoleAssignments.AddRange(assignments.Value);
            InvitationLinks.Issue(db, mail, options, invitation, organization.Name, inviterName, now);
            db.AuditEvents.Add(Audit.Audit.Event(actor, now, organizationUid, "user", "invite", "membership", invitation.Uid, email, new
            {
                role = OrgRoles.NameOf(role),
                stacks = invitee.Stacks ?? new Dictionary<string, IReadOnlyList<string>>(),
                access_without_sso = request.AccessWithoutSso,
            }));
            outcomes[index] = new(email, invitation, null);
            created++;
        }

        if (created > 0)
        {
            // A few multi-row INSERT statements for the whole request, however many addresses it holds (SaveChanges sent
            // one statement per row: 40,000 for 10,000 addresses), in the same transaction as the checks above.
            try
            {
                await LeanSql.InsertAddedAsync(db, ct, typeof(Membership), typeof(Stacks.StackRoleAssignment), typeof(Accounts.ActionToken),
                    typeof(OutboxMessage), typeof(Audit.AuditEvent));
            }
            finally { db.ChangeTracker.AutoDetectChangesEnabled = true; }
        }
        await transaction.CommitAsync(ct);
        return outcomes;
    }
}
