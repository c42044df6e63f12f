using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Security;

namespace Orgstack.Core.Accounts;

public static class SignInErrors
{
    /// <summary>One answer for an unknown address, a wrong password, a locked or disabled account: nothing is revealed.</summary>
    public static readonly Error InvalidCredentials = new("session.invalid_credentials",
        "Looks like your email or password is invalid. Please try again or reset your password.", ErrorKind.Validation, 104,
        new Dictionary<string, string[]> { ["password"] = ["is not valid."] });

    /// <summary>
    /// After an admin forced a password reset, the right password (and second factor) gets this instead of an authtoken:
    /// 403, so the CLI does not retry it. Only shown after full authentication, so it reveals nothing to a guesser.
    /// </summary>
    public static readonly Error PasswordResetRequired = new("session.password_reset_required",
        "Your administrator requires you to set a new password before signing in. Use the reset link we emailed you, or request a new one with \"Forgot password\".",
        ErrorKind.Forbidden, 160);
}

/// <summary>
/// Password sign-in: rate limits, lockout (counted atomically in the database before the password is evaluated),
/// the second factor, forced reset, then Last Login At and an authtoken.
/// </summary>
public sealed class SignIn(OrgstackDbContext db, Passwords passwords, SessionTokens tokens, AccountLockout lockout, TwoFactor twoFactor,
    RateLimiter limiter, RepeatedFailures repeats, OrgstackOptions options, TimeProvider clock)
{
    public sealed record Request(string? Email, string? Password, string? TfaToken, string? RemoteAddress, string? UserAgent);

    public sealed record Success(User User, string Token);

    public async Task<Result<Success>> HandleAsync(Request request, CancellationToken ct)
    {
        var limits = options.RateLimits;
        var email = string.IsNullOrWhiteSpace(request.Email) ? "" : Emails.Normalize(request.Email);
        if (await limiter.CheckAsync(ct,
                (RateLimiter.AddressKey("signin:ip:", request.RemoteAddress), limits.SignInPerAddress),
                ("signin:acct:" + RateLimiter.KeyPart(email), limits.SignInPerAccount)) is { } limited)
            return limited;

        if (email.Length == 0 || string.IsNullOrEmpty(request.Password) || email.Length > Emails.MaxLength || request.Password.Length > 1024)
        {
            await passwords.VerifyDummyAsync(request.Password ?? "", ct);
            return SignInErrors.InvalidCredentials;
        }

        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Email == email, ct);
        if (user is null || !user.Active || user.PasswordHash is null || !await lockout.AutoUnlockAsync(user, ct))
        {
            await passwords.VerifyDummyAsync(request.Password, ct);
            return SignInErrors.InvalidCredentials;
        }

        // Reserve the attempt before evaluating anything: parallel guesses are all counted, and none is evaluated once locked.
        if (await lockout.ReserveAsync(user.Uid, ct) is not { } attempt)
        {
            await passwords.VerifyDummyAsync(request.Password, ct);
            return SignInErrors.InvalidCredentials;
        }

        var verdict = await passwords.VerifyAsync(user.PasswordHash, request.Password, ct);
        if (verdict == PasswordVerificationResult.Failed)
        {
            await FailedAsync(user, attempt, request, ct);
            return SignInErrors.InvalidCredentials;
        }

        if (user.TotpEnabled)
        {
            if (string.IsNullOrWhiteSpace(request.TfaToken))
            {
                // The first leg of the CLI/SDK flow: the password was right, the code is still to come. Not a failure.
                await lockout.ReleaseAsync(user.Uid, ct);
                return TwoFactorErrors.Required;
            }
            if (!await twoFactor.VerifyAsync(user, request.TfaToken, allowRecoveryCode: true, ct))
            {
                await FailedAsync(user, attempt, request, ct);
                return TwoFactorErrors.Required;
            }
        }

        var now = clock.GetUtcNow();
        await lockout.SucceededAsync(user.Uid, ct);
        if (user.MustChangePassword) return SignInErrors.PasswordResetRequired;

        var tracked = await db.Users.FirstAsync(u => u.Uid == user.Uid, ct);
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded) tracked.PasswordHash = await passwords.HashAsync(request.Password, ct);
        tracked.LastLoginAt = now;
        var issued = tokens.Issue(tracked, "password", request.RemoteAddress, request.UserAgent);
        db.AuditEvents.Add(Audit.Audit.Event(new Actor(user.Uid, user.Email, request.RemoteAddress), now, null, "session", "login",
            "user", user.Uid, user.Email, new { method = user.TotpEnabled ? "password+totp" : "password" }));

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        await RecordLastLoginAsync(db, user.Uid, now, ct);
        await transaction.CommitAsync(ct);
        tracked.FailedAttempts = 0;
        return new Success(tracked, issued.Token);
    }

    /// <summary>A failed attempt stays counted, unless it is the CLI retrying the very same attempt within seconds.</summary>
    private async Task FailedAsync(User user, int attempt, Request request, CancellationToken ct)
    {
        if (repeats.IsRepeat(user.Uid, request.Password!, request.TfaToken)) await lockout.ReleaseAsync(user.Uid, ct);
        else await lockout.FailedAsync(user, attempt, request.RemoteAddress, ct);
    }

    /// <summary>Last Login At lives on the user and on each of their memberships (the users list sorts on it there).</summary>
    public static Task<int> RecordLastLoginAsync(OrgstackDbContext db, string userUid, DateTimeOffset at, CancellationToken ct) =>
        db.Memberships.Where(m => m.UserUid == userUid).ExecuteUpdateAsync(u => u.SetProperty(m => m.LastLoginAt, at), ct);
}
