using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;

namespace Orgstack.Core.Accounts;

public static class SignInErrors
{
    /// <summary>One answer for an unknown address, a wrong password, a locked or disabled account: nothing is revealed.</summary>
    public static readonly Error InvalidCredentials = new("session.invalid_credentials",
        "Looks like your email or password is invalid. Please try again or reset your password.", ErrorKind.Validation, 104,
        new Dictionary<string, string[]> { ["password"] = ["is not valid."] });
}

/// <summary>Password sign-in: verifies the password, records Last Login At and issues an authtoken.</summary>
public sealed class SignIn(OrgstackDbContext db, Passwords passwords, SessionTokens tokens, TimeProvider clock)
{
    public sealed record Request(string? Email, string? Password, string? TfaToken, string? RemoteAddress, string? UserAgent);

    public sealed record Success(User User, string Token);

    public async Task<Result<Success>> HandleAsync(Request request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Email) || string.IsNullOrEmpty(request.Password) || request.Email.Length > Emails.MaxLength || request.Password.Length > 1024)
        {
            passwords.VerifyDummy(request.Password ?? "");
            return SignInErrors.InvalidCredentials;
        }

        var email = Emails.Normalize(request.Email);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Email == email, ct);
        var verdict = passwords.Verify(user?.PasswordHash, request.Password);
        if (user is null || verdict == PasswordVerificationResult.Failed || !user.Active || user.LockedAt is not null)
            return SignInErrors.InvalidCredentials;

        var now = clock.GetUtcNow();
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded) user.PasswordHash = passwords.Hash(request.Password);
        user.LastLoginAt = now;
        user.FailedAttempts = 0;
        var issued = tokens.Issue(user, "password", request.RemoteAddress, request.UserAgent);
        db.AuditEvents.Add(Audit.Audit.Event(new Actor(user.Uid, user.Email, request.RemoteAddress), now, null, "session", "login",
            "user", user.Uid, user.Email, new { method = "password" }));

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        await RecordLastLoginAsync(db, user.Uid, now, ct);
        await transaction.CommitAsync(ct);
        return new Success(user, issued.Token);
    }

    /// <summary>Last Login At lives on the user and on each of their memberships (the users list sorts on it there).</summary>
    public static Task<int> RecordLastLoginAsync(OrgstackDbContext db, string userUid, DateTimeOffset at, CancellationToken ct) =>
        db.Memberships.Where(m => m.UserUid == userUid).ExecuteUpdateAsync(u => u.SetProperty(m => m.LastLoginAt, at), ct);
}
