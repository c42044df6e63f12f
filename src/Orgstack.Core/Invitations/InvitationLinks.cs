using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Mail;
using Orgstack.Core.Members;

namespace Orgstack.Core.Invitations;

/// <summary>Issues invitation tokens and their emails; shared by invite and resend so both write the same rows.</summary>
public static class InvitationLinks
{
    public static string AcceptPath(string token) => "/invitations/accept?token=" + Uri.EscapeDataString(token);

    public static string OwnershipPath(string token) => "/ownership/accept?token=" + Uri.EscapeDataString(token);

    /// <summary>Adds a new token and the mail carrying it to the context; the caller saves them with its change.</summary>
    public static void Issue(OrgstackDbContext db, MailComposer mail, OrgstackOptions options, Membership invitation,
        string organizationName, string inviterName, DateTimeOffset now)
    {
        var token = Secrets.NewToken();
        var expires = now.AddDays(options.Invitations.ExpiryDays);
        invitation.InvitationExpiresAt = expires;
        db.ActionTokens.Add(new ActionToken
        {
            TokenHash = Secrets.Hash(token),
            Uid = Ids.New(),
            Purpose = TokenPurpose.Invitation,
            OrganizationUid = invitation.OrganizationUid,
            Email = invitation.Email,
            SubjectUid = invitation.Uid,
            CreatedAt = now,
            ExpiresAt = expires,
        });
        var paragraphs = new List<string>
        {
            $"{inviterName} invited you to join the organization \"{organizationName}\" on Orgstack as {(invitation.Role == Organizations.OrgRole.Admin ? "an Admin" : "a Member")}.",
        };
        if (!string.IsNullOrWhiteSpace(invitation.Message)) paragraphs.Add($"Their message: {invitation.Message}");
        paragraphs.Add($"The link works once and expires on {expires.UtcDateTime:yyyy-MM-dd HH:mm} UTC.");
        db.OutboxMessages.Add(mail.Compose("invitation", invitation.Email, $"You're invited to {organizationName} on Orgstack",
            invitation.OrganizationUid, paragraphs, ("Accept the invitation", mail.Link(AcceptPath(token)))));
    }

    /// <summary>Revokes every live token acting on the given invitations or transfers (one statement).</summary>
    public static Task<int> RevokeAsync(OrgstackDbContext db, TokenPurpose purpose, IReadOnlyCollection<string> subjectUids, DateTimeOffset now, CancellationToken ct) =>
        db.ActionTokens.Where(t => t.Purpose == purpose && subjectUids.Contains(t.SubjectUid!) && t.UsedAt == null && t.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.RevokedAt, now), ct);

    /// <summary>
    /// Revokes the live links of the pending invitations a user sent in an organization: an inviter who lost the right
    /// to invite (demoted or removed) no longer vouches for them. The invitations stay listed; an admin can resend them.
    /// </summary>
    public static Task<int> RevokeSentByAsync(OrgstackDbContext db, string organizationUid, IReadOnlyCollection<string> inviterUserUids, DateTimeOffset now, CancellationToken ct)
    {
        var pending = db.Memberships.Where(m => m.OrganizationUid == organizationUid && m.Status == MembershipStatus.Pending
            && m.InvitedByUserUid != null && inviterUserUids.Contains(m.InvitedByUserUid)).Select(m => m.Uid);
        return db.ActionTokens.Where(t => t.Purpose == TokenPurpose.Invitation && t.UsedAt == null && t.RevokedAt == null && pending.Contains(t.SubjectUid!))
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.RevokedAt, now), ct);
    }

    /// <summary>Consumes a single-use token: exactly one caller ever gets true.</summary>
    public static async Task<bool> ConsumeAsync(OrgstackDbContext db, string tokenHash, TokenPurpose purpose, DateTimeOffset now, CancellationToken ct) =>
        await db.ActionTokens.Live(tokenHash, purpose, now)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.UsedAt, now), ct) == 1;

    /// <summary>A live token row for a presented token, or null (never consumes).</summary>
    public static Task<ActionToken?> FindLiveAsync(OrgstackDbContext db, string? token, TokenPurpose purpose, DateTimeOffset now, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 200) return Task.FromResult<ActionToken?>(null);
        var hash = Secrets.Hash(token);
        return db.ActionTokens.AsNoTracking().Live(hash, purpose, now).FirstOrDefaultAsync(ct);
    }
}
