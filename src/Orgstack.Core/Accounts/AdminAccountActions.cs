using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Mail;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Accounts;

/// <summary>A bulk admin action on members: the organization and the users (uid or email), 1 to Bulk:MaxUsersPerAction.</summary>
public sealed record MembersRequest(string OrganizationUid, IReadOnlyList<string>? Users);

/// <summary>The outcome for one named user: "done", "not_found", "not_allowed" or "unchanged", with a sentence.</summary>
public sealed record MemberActionResult(string User, string? Uid, string? Email, string Status, string Notice);

public static class AdminAccountErrors
{
    public static Error UsersRequired(int max) => Error.Validation("members.users_required",
        $"Name between 1 and {max} users (by uid or email) in \"users\".", "users", $"must hold 1 to {max} users.");

    public static Error TooMany(int max, int given) => Error.Limit("members.too_many",
        $"At most {max} users can be handled in one request; {given} were given. Split them into several requests.");
}

/// <summary>The shared steps of the admin account actions: authorization, bounds, and resolving the named members.</summary>
public sealed class MemberTargets(OrgstackDbContext db, OrgAccess access, OrgstackOptions options)
{
    public sealed record Target(string Requested, Membership? Membership, User? User);

    public async Task<Result<(Membership Caller, List<Target> Targets)>> ResolveAsync(MembersRequest request, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(request.OrganizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        var max = Math.Max(1, options.Bulk.MaxUsersPerAction);
        var named = (request.Users ?? []).Where(u => !string.IsNullOrWhiteSpace(u)).Select(u => u.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (named.Count == 0) return AdminAccountErrors.UsersRequired(max);
        if (named.Count > max) return AdminAccountErrors.TooMany(max, named.Count);
        if (named.Any(n => n.Length > Emails.MaxLength)) return AdminAccountErrors.UsersRequired(max);

        var emails = named.Where(n => n.Contains('@')).Select(Emails.Normalize).ToList();
        var uids = named.Where(n => !n.Contains('@')).ToList();
        var memberships = await db.Memberships.AsNoTracking()
            .Where(m => m.OrganizationUid == request.OrganizationUid && m.Status == MembershipStatus.Accepted && m.UserUid != null
                        && (uids.Contains(m.UserUid!) || emails.Contains(m.Email)))
            .ToListAsync(ct);
        var userUids = memberships.Select(m => m.UserUid!).ToList();
        var users = await db.Users.AsNoTracking().Where(u => userUids.Contains(u.Uid)).ToDictionaryAsync(u => u.Uid, ct);
        var targets = named.Select(n =>
        {
            var m = memberships.FirstOrDefault(x => n.Contains('@') ? x.Email == Emails.Normalize(n) : x.UserUid == n);
            return new Target(n, m, m is null ? null : users.GetValueOrDefault(m.UserUid!));
        }).ToList();
        return (admin.Value, targets);
    }

    /// <summary>
    /// One bulk action: authorize and resolve, then the step for each named member that exists (and, when
    /// <paramref name="guarded"/>, that the caller may act on), all in one transaction with the steps' audit records.
    /// </summary>
    public async Task<Result<MemberActionResult[]>> RunAsync(MembersRequest request, Actor actor, bool guarded,
        Func<Target, User, Task<MemberActionResult>> step, CancellationToken ct)
    {
        var resolved = await ResolveAsync(request, actor, ct);
        if (!resolved.IsSuccess) return resolved.Error!;
        var results = new List<MemberActionResult>();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        foreach (var t in resolved.Value.Targets)
        {
            if (t.User is null) results.Add(NotFound(t));
            else if (guarded && Forbidden(t, resolved.Value.Caller, actor) is { } refused) results.Add(refused);
            else results.Add(await step(t, t.User));
        }
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return results.ToArray();
    }

    public static MemberActionResult NotFound(Target t) =>
        new(t.Requested, null, null, "not_found", "No member of this organization has this uid or email.");

    /// <summary>An Admin cannot act on the Owner; nobody uses these actions on themselves (self-service exists for that).</summary>
    public static MemberActionResult? Forbidden(Target t, Membership caller, Actor actor, bool allowSelf = false)
    {
        if (!allowSelf && t.User!.Uid == actor.UserUid)
            return new(t.Requested, t.User!.Uid, t.User.Email, "not_allowed", "You cannot do this to your own account here; use your account settings.");
        if (t.Membership!.Role == OrgRole.Owner && caller.Role != OrgRole.Owner)
            return new(t.Requested, t.User!.Uid, t.User.Email, "not_allowed", "Only the Owner can do this to the Owner's account.");
        return null;
    }
}

/// <summary>Unlocks locked accounts of members; each gets an email; audited per user.</summary>
public sealed class UnlockUsers(OrgstackDbContext db, MemberTargets targets, MailComposer mail, TimeProvider clock)
{
    public Task<Result<MemberActionResult[]>> HandleAsync(MembersRequest request, Actor actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return targets.RunAsync(request, actor, guarded: false, async (t, user) =>
        {
            var uid = user.Uid;
            var rows = await db.Users.Where(u => u.Uid == uid && (u.LockedAt != null || u.FailedAttempts > 0))
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.LockedAt, (DateTimeOffset?)null).SetProperty(x => x.FailedAttempts, 0).SetProperty(x => x.UpdatedAt, now), ct);
            if (rows == 0 || user.LockedAt is null)
                return new(t.Requested, uid, user.Email, "unchanged", "The account was not locked.");
            db.AuditEvents.Add(Audit.Audit.Event(actor, now, request.OrganizationUid, "user", "unlock", "user", uid, user.Email));
            db.OutboxMessages.Add(mail.Compose("account_unlocked", user.Email, "Your Orgstack account was unlocked", request.OrganizationUid,
                ["An administrator unlocked your Orgstack account after too many failed sign-in attempts.",
                 "You can sign in again. If the failed attempts were not yours, change your password."],
                ("Sign in", mail.Link("/sign-in"))));
            return new(t.Requested, uid, user.Email, "done", "The account was unlocked.");
        }, ct);
    }
}

/// <summary>
/// Forces a password reset: the member's sessions end, sign-in (even with the right password) answers that a new
/// password is needed, and a reset link (60 minutes, single use) is emailed.
/// </summary>
public sealed class ForcePasswordReset(OrgstackDbContext db, MemberTargets targets, ActionTokens actionTokens, SessionTokens sessions,
    MailComposer mail, OrgstackOptions options, TimeProvider clock)
{
    public Task<Result<MemberActionResult[]>> HandleAsync(MembersRequest request, Actor actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return targets.RunAsync(request, actor, guarded: true, async (t, user) =>
        {
            await db.Users.Where(u => u.Uid == user.Uid)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.MustChangePassword, true).SetProperty(x => x.UpdatedAt, now), ct);
            var ended = await sessions.RevokeAllAsync(user.Uid, ct);
            var token = await actionTokens.IssueAsync(TokenPurpose.PasswordReset, user, TimeSpan.FromMinutes(options.Passwords.ResetLinkMinutes), request.OrganizationUid, ct);
            db.AuditEvents.Add(Audit.Audit.Event(actor, now, request.OrganizationUid, "user", "force_password_reset", "user", user.Uid, user.Email,
                new { sessions_ended = ended }));
            db.OutboxMessages.Add(mail.Compose("password_reset_forced", user.Email, "Set a new Orgstack password", request.OrganizationUid,
                ["An administrator of your organization requires you to set a new password. You have been signed out everywhere.",
                 $"The link below works once and expires in {options.Passwords.ResetLinkMinutes} minutes. If it expires, use \"Forgot password\" on the sign-in page."],
                ("Set a new password", mail.Link("/reset-password?token=" + token))));
            return new(t.Requested, user.Uid, user.Email, "done", "Sessions ended; a password reset link was emailed.");
        }, ct);
    }
}

/// <summary>Emails the member a single-use 15-minute link to clear their second factor (followed with their password).</summary>
public sealed class ResetMemberMfa(OrgstackDbContext db, MemberTargets targets, ActionTokens actionTokens, MailComposer mail,
    OrgstackOptions options, TimeProvider clock)
{
    public Task<Result<MemberActionResult[]>> HandleAsync(MembersRequest request, Actor actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return targets.RunAsync(request, actor, guarded: true, async (t, user) =>
        {
            if (!user.TotpEnabled)
                return new(t.Requested, user.Uid, user.Email, "unchanged", "Two-factor authentication is not on for this account.");
            var minutes = options.Passwords.MfaResetLinkMinutes;
            var token = await actionTokens.IssueAsync(TokenPurpose.MfaReset, user, TimeSpan.FromMinutes(minutes), request.OrganizationUid, ct);
            db.AuditEvents.Add(Audit.Audit.Event(actor, now, request.OrganizationUid, "user", "mfa_reset_requested", "user", user.Uid, user.Email));
            db.OutboxMessages.Add(mail.Compose("mfa_reset", user.Email, "Reset your Orgstack two-factor authentication", request.OrganizationUid,
                ["An administrator of your organization started a reset of your two-factor authentication.",
                 $"Open the link below and confirm with your password to remove your authenticator; you will then set it up again. The link works once and expires in {minutes} minutes.",
                 "If you did not expect this, contact your administrator; nothing changes until the link is used."],
                ("Reset two-factor authentication", mail.Link("/reset-mfa?token=" + token))));
            return new(t.Requested, user.Uid, user.Email, "done", "A two-factor reset link was emailed.");
        }, ct);
    }
}

/// <summary>Ends every session of the named members (force sign-out).</summary>
public sealed class ForceSignOut(OrgstackDbContext db, MemberTargets targets, SessionTokens sessions, TimeProvider clock)
{
    public Task<Result<MemberActionResult[]>> HandleAsync(MembersRequest request, Actor actor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return targets.RunAsync(request, actor, guarded: true, async (t, user) =>
        {
            var ended = await sessions.RevokeAllAsync(user.Uid, ct);
            db.AuditEvents.Add(Audit.Audit.Event(actor, now, request.OrganizationUid, "user", "force_sign_out", "user", user.Uid, user.Email,
                new { sessions_ended = ended }));
            return new(t.Requested, user.Uid, user.Email, "done", ended == 1 ? "1 session ended." : $"{ended} sessions ended.");
        }, ct);
    }
}
