using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Mail;
using Orgstack.Core.Members;
using Orgstack.Core.Security;

namespace Orgstack.Core.Accounts;

public static class SelfServiceErrors
{
    public static readonly Error LinkInvalid = Error.Validation("token.invalid",
        "This link is invalid or has expired. Request a new one.", "token", "is invalid or expired.");

    public static readonly Error ConfirmationMismatch = Error.Validation("password.confirmation_mismatch",
        "The password and its confirmation do not match.", "password_confirmation", "does not match the password.");

    public static readonly Error CurrentPasswordWrong = Error.Validation("password.current_invalid",
        "The current password is not correct.", "current_password", "is not valid.");

    public static readonly Error EmailRequired = Error.Validation("user.email_required", "Give an email address.", "email");

    public static Error NameInvalid(string field) => Error.Validation("user.name_invalid",
        $"{field} must be at most 100 characters, without control characters.", field);
}

/// <summary>
/// "Forgot password": always the same answer and the same database work whether or not the address has an account;
/// only an existing, active account gets a 60-minute single-use link by email. Rate limited per address and account.
/// </summary>
public sealed class ForgotPassword(OrgstackDbContext db, ActionTokens actionTokens, MailComposer mail, RateLimiter limiter,
    OrgstackOptions options, TimeProvider clock)
{
    public const string Notice = "If an account exists for this email address, we have sent it a link to reset the password.";

    public async Task<Result<string>> HandleAsync(string? email, Actor actor, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(email) || email.Length > Emails.MaxLength) return SelfServiceErrors.EmailRequired;
        var normalized = Emails.Normalize(email);
        if (await limiter.CheckAsync(ct,
                (RateLimiter.AddressKey("reset:ip:", actor.RemoteAddress), options.RateLimits.ResetPerAddress),
                ("reset:acct:" + RateLimiter.KeyPart(normalized), options.RateLimits.ResetPerAccount)) is { } limited)
            return limited;

        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Email == normalized, ct);
        var exists = user is { Active: true };
        // Same statements on both paths (an unknown address revokes nothing); only an account gets a token and a mail.
        await actionTokens.RevokeAsync(TokenPurpose.PasswordReset, user?.Uid ?? Ids.New(), ct);
        if (exists)
        {
            var now = clock.GetUtcNow();
            var minutes = options.Passwords.ResetLinkMinutes;
            var token = await actionTokens.IssueAsync(TokenPurpose.PasswordReset, user!, TimeSpan.FromMinutes(minutes), null, ct);
            db.AuditEvents.Add(Audit.Audit.Event(new Actor(user!.Uid, user.Email, actor.RemoteAddress, actor.RequestId), now, null,
                "user", "password_reset_requested", "user", user.Uid, user.Email));
            db.OutboxMessages.Add(mail.Compose("password_reset", user.Email, "Reset your Orgstack password", null,
                ["Someone (hopefully you) asked to reset the password of your Orgstack account.",
                 $"The link below works once and expires in {minutes} minutes. If you did not ask for it, ignore this email: your password stays the same."],
                ("Reset password", mail.Link("/reset-password?token=" + token))));
        }
        await db.SaveChangesAsync(ct);
        return Notice;
    }
}

/// <summary>
/// Sets a new password with an emailed reset link (once, within its lifetime): ends every session, clears a forced
/// reset, and leaves two-factor authentication on (the next sign-in still needs the code).
/// </summary>
public sealed class ResetPassword(OrgstackDbContext db, Passwords passwords, ActionTokens actionTokens, SessionTokens sessions,
    MailComposer mail, RateLimiter limiter, OrgstackOptions options, TimeProvider clock)
{
    public sealed record Request(string? Token, string? Password, string? PasswordConfirmation);

    public async Task<Result<Done>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        if (await limiter.CheckAsync(ct, (RateLimiter.AddressKey("reset:ip:", actor.RemoteAddress), options.RateLimits.ResetPerAddress)) is { } limited)
            return limited;
        var token = await actionTokens.PeekAsync(request.Token, TokenPurpose.PasswordReset, ct);
        if (token?.UserUid is null) return SelfServiceErrors.LinkInvalid;
        var user = await db.Users.FirstOrDefaultAsync(u => u.Uid == token.UserUid, ct);
        if (user is null || !user.Active) return SelfServiceErrors.LinkInvalid;
        if (passwords.CheckPolicy(request.Password, user.Email) is { } policy) return policy;
        if (request.Password != request.PasswordConfirmation) return SelfServiceErrors.ConfirmationMismatch;

        var hash = await passwords.HashAsync(request.Password!, ct);
        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (!await actionTokens.ConsumeAsync(request.Token!, TokenPurpose.PasswordReset, ct)) return SelfServiceErrors.LinkInvalid;
        user.PasswordHash = hash;
        user.MustChangePassword = false;
        user.UpdatedAt = now;
        var ended = await sessions.RevokeAllAsync(user.Uid, ct);
        db.AuditEvents.Add(Audit.Audit.Event(new Actor(user.Uid, user.Email, actor.RemoteAddress, actor.RequestId), now, token.OrganizationUid,
            "user", "password_reset", "user", user.Uid, user.Email, new { sessions_ended = ended }));
        db.OutboxMessages.Add(mail.Compose("password_changed", user.Email, "Your Orgstack password was changed", null,
            ["The password of your Orgstack account was just reset, and every session was signed out.",
             "If this was not you, reset your password again at once and tell your administrator."]));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return Done.Value;
    }
}

/// <summary>Activates an account with its emailed activation link: names and a first password.</summary>
public sealed class ActivateAccount(OrgstackDbContext db, Passwords passwords, ActionTokens actionTokens, TimeProvider clock)
{
    public sealed record Request(string? Token, string? FirstName, string? LastName, string? Password, string? PasswordConfirmation);

    public async Task<Result<Done>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var token = await actionTokens.PeekAsync(request.Token, TokenPurpose.Activation, ct);
        if (token?.UserUid is null) return SelfServiceErrors.LinkInvalid;
        var user = await db.Users.FirstOrDefaultAsync(u => u.Uid == token.UserUid, ct);
        if (user is null) return SelfServiceErrors.LinkInvalid;
        if (UpdateProfile.CheckName(request.FirstName, "first_name") is { } e1) return e1;
        if (UpdateProfile.CheckName(request.LastName, "last_name") is { } e2) return e2;
        if (passwords.CheckPolicy(request.Password, user.Email) is { } policy) return policy;
        if (request.Password != request.PasswordConfirmation) return SelfServiceErrors.ConfirmationMismatch;

        var hash = await passwords.HashAsync(request.Password!, ct);
        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (!await actionTokens.ConsumeAsync(request.Token!, TokenPurpose.Activation, ct)) return SelfServiceErrors.LinkInvalid;
        user.PasswordHash = hash;
        user.Active = true;
        if (request.FirstName is not null) user.FirstName = request.FirstName.Trim();
        if (request.LastName is not null) user.LastName = request.LastName.Trim();
        user.UpdatedAt = now;
        await UpdateProfile.CopyNameToMembershipsAsync(db, user, ct);
        db.AuditEvents.Add(Audit.Audit.Event(new Actor(user.Uid, user.Email, actor.RemoteAddress, actor.RequestId), now, null,
            "user", "activate", "user", user.Uid, user.Email));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return Done.Value;
    }
}

/// <summary>Updates the caller's profile (first name, last name, company); other fields are read-only and ignored.</summary>
public sealed class UpdateProfile(OrgstackDbContext db, TimeProvider clock)
{
    public sealed record Request(string? FirstName, string? LastName, string? Company);

    public async Task<Result<User>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        if (CheckName(request.FirstName, "first_name") is { } e1) return e1;
        if (CheckName(request.LastName, "last_name") is { } e2) return e2;
        if (CheckName(request.Company, "company") is { } e3) return e3;
        // Nothing to change is a client mistake (e.g. a body without "user"), not an audited no-op update.
        if (request is { FirstName: null, LastName: null, Company: null })
            return Error.Validation("user.profile_empty", "Give at least one of first_name, last_name or company in {\"user\":{…}}.");
        var user = await db.Users.FirstOrDefaultAsync(u => u.Uid == actor.UserUid, ct);
        if (user is null) return CommonErrors.NotSignedIn;
        var now = clock.GetUtcNow();
        if (request.FirstName is not null) user.FirstName = request.FirstName.Trim();
        if (request.LastName is not null) user.LastName = request.LastName.Trim();
        if (request.Company is not null) user.Company = request.Company.Trim();
        user.UpdatedAt = now;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await CopyNameToMembershipsAsync(db, user, ct);
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, null, "user", "profile_update", "user", user.Uid, user.Email,
            new { first_name = request.FirstName is not null, last_name = request.LastName is not null, company = request.Company is not null }));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return user;
    }

    public static Error? CheckName(string? value, string field) =>
        value is not null && (value.Trim().Length > 100 || value.Any(char.IsControl)) ? SelfServiceErrors.NameInvalid(field) : null;

    /// <summary>The name is copied onto every membership (the users list sorts on it there).</summary>
    public static async Task CopyNameToMembershipsAsync(OrgstackDbContext db, User user, CancellationToken ct)
    {
        var memberships = await db.Memberships.Where(m => m.UserUid == user.Uid).ToListAsync(ct);
        foreach (var m in memberships) m.SetName(user.FirstName, user.LastName);
    }
}

/// <summary>
/// Changes the caller's password with the current one (a wrong current password counts toward lockout). Every
/// session ends; the caller gets a fresh authtoken.
/// </summary>
public sealed class ChangePassword(OrgstackDbContext db, Passwords passwords, SessionTokens sessions, AccountLockout lockout,
    ActionTokens actionTokens, MailComposer mail, TimeProvider clock)
{
    public sealed record Request(string? CurrentPassword, string? Password, string? PasswordConfirmation, string? UserAgent);

    public async Task<Result<string>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Uid == actor.UserUid, ct);
        if (user is null) return CommonErrors.NotSignedIn;
        if (passwords.CheckPolicy(request.Password, user.Email) is { } policy) return policy;
        if (request.Password != request.PasswordConfirmation) return SelfServiceErrors.ConfirmationMismatch;
        if (string.IsNullOrEmpty(request.CurrentPassword) || request.CurrentPassword.Length > 1024) return SelfServiceErrors.CurrentPasswordWrong;
        if (await lockout.ReserveAsync(user.Uid, ct) is not { } attempt) return SelfServiceErrors.CurrentPasswordWrong;
        if (await passwords.VerifyAsync(user.PasswordHash, request.CurrentPassword, ct) == PasswordVerificationResult.Failed)
        {
            await lockout.FailedAsync(user, attempt, actor.RemoteAddress, ct);
            return SelfServiceErrors.CurrentPasswordWrong;
        }
        await lockout.SucceededAsync(user.Uid, ct);

        var hash = await passwords.HashAsync(request.Password!, ct);
        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var tracked = await db.Users.FirstAsync(u => u.Uid == user.Uid, ct);
        tracked.PasswordHash = hash;
        tracked.MustChangePassword = false;
        tracked.UpdatedAt = now;
        var ended = await sessions.RevokeAllAsync(user.Uid, ct);
        await actionTokens.RevokeAsync(TokenPurpose.PasswordReset, user.Uid, ct);
        var issued = sessions.Issue(tracked, "password", actor.RemoteAddress, request.UserAgent);
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, null, "user", "password_change", "user", user.Uid, user.Email, new { sessions_ended = ended }));
        db.OutboxMessages.Add(mail.Compose("password_changed", user.Email, "Your Orgstack password was changed", null,
            ["The password of your Orgstack account was just changed, and every other session was signed out.",
             "If this was not you, reset your password at once and tell your administrator."]));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return issued.Token;
    }
}

/// <summary>
/// Follows an admin's MFA-reset link with the account password: clears the factor and recovery codes, ends every
/// session, and requires a new enrolment before anything else works. The password check counts toward lockout.
/// </summary>
public sealed class CompleteMfaReset(OrgstackDbContext db, Passwords passwords, ActionTokens actionTokens, SessionTokens sessions,
    AccountLockout lockout, TwoFactor twoFactor, MailComposer mail, RateLimiter limiter, OrgstackOptions options, TimeProvider clock)
{
    public sealed record Request(string? Token, string? Password);

    public async Task<Result<Done>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        if (await limiter.CheckAsync(ct, (RateLimiter.AddressKey("reset:ip:", actor.RemoteAddress), options.RateLimits.ResetPerAddress)) is { } limited)
            return limited;
        var token = await actionTokens.PeekAsync(request.Token, TokenPurpose.MfaReset, ct);
        var user = token?.UserUid is null ? null : await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Uid == token.UserUid, ct);
        if (user is null || !user.Active || string.IsNullOrEmpty(request.Password) || request.Password.Length > 1024)
        {
            await passwords.VerifyDummyAsync(request.Password ?? "", ct);
            return SelfServiceErrors.LinkInvalid;
        }
        if (await lockout.ReserveAsync(user.Uid, ct) is not { } attempt) return SignInErrors.InvalidCredentials;
        if (await passwords.VerifyAsync(user.PasswordHash, request.Password, ct) == PasswordVerificationResult.Failed)
        {
            await lockout.FailedAsync(user, attempt, actor.RemoteAddress, ct);
            return SignInErrors.InvalidCredentials;
        }
        await lockout.SucceededAsync(user.Uid, ct);

        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (!await actionTokens.ConsumeAsync(request.Token!, TokenPurpose.MfaReset, ct)) return SelfServiceErrors.LinkInvalid;
        await twoFactor.ClearAsync(user.Uid, ct);
        await db.Users.Where(u => u.Uid == user.Uid).ExecuteUpdateAsync(u => u.SetProperty(x => x.MustEnrollMfa, true).SetProperty(x => x.UpdatedAt, now), ct);
        var ended = await sessions.RevokeAllAsync(user.Uid, ct);
        var userActor = new Actor(user.Uid, user.Email, actor.RemoteAddress, actor.RequestId);
        db.AuditEvents.Add(Audit.Audit.Event(userActor, now, token!.OrganizationUid, "user", "mfa_reset", "user", user.Uid, user.Email, new { sessions_ended = ended }));
        db.OutboxMessages.Add(mail.Compose("mfa_reset_done", user.Email, "Your Orgstack two-factor authentication was removed", token.OrganizationUid,
            ["Your two-factor authentication was removed with the reset link, and every session was signed out.",
             "Sign in with your password and set up your authenticator again. If this was not you, tell your administrator at once."]));
        if (token.OrganizationUid is { } org)
        {
            var admins = await db.Memberships.AsNoTracking()
                .Where(m => m.OrganizationUid == org && m.Status == MembershipStatus.Accepted && m.UserUid != user.Uid
                            && (m.Role == Organizations.OrgRole.Owner || m.Role == Organizations.OrgRole.Admin))
                .Select(m => m.Email).Take(50).ToListAsync(ct);
            foreach (var admin in admins)
                db.OutboxMessages.Add(mail.Compose("mfa_reset_notice", admin, "A member's two-factor authentication was reset", org,
                    [$"{user.Email} used their two-factor reset link; they must set up two-factor authentication again before they can work."]));
        }
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return Done.Value;
    }
}
