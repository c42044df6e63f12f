using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Security;

namespace Orgstack.Core.Accounts;

public static class TwoFactorErrors
{
    /// <summary>The contract's answer for a missing or wrong second factor at sign-in (401, 294, tfa_type).</summary>
    public static readonly Error Required = new("session.tfa_required", "Please login using the Two-Factor verification Token",
        ErrorKind.TwoFactorRequired, 294);

    public static readonly Error AlreadyEnabled = Error.Conflict("two_factor.already_enabled", "Two-factor authentication is already on. Disable it first to enrol a new authenticator.");
    public static readonly Error NotEnrolling = Error.Validation("two_factor.not_enrolling", "Start with POST /v3/user/two_factor/enroll before confirming.", "code");
    public static readonly Error NotEnabled = Error.Validation("two_factor.not_enabled", "Two-factor authentication is not on for this account.", "code");
    public static readonly Error InvalidCode = Error.Validation("two_factor.invalid_code", "The code is not valid. Enter the current 6-digit code from your authenticator app.", "code");
    public static readonly Error Mandatory = Error.Forbidden("two_factor.enrollment_required",
        "Your two-factor authentication was reset. Set it up again (POST /v3/user/two_factor/enroll, then confirm) before anything else.");
}

/// <summary>The TOTP factor of an account: secret storage (Data Protection), code checks with replay protection, recovery codes.</summary>
public sealed class TwoFactor(OrgstackDbContext db, IDataProtectionProvider protection, TimeProvider clock)
{
    public const string Purpose = "Orgstack.Totp";
    public const string Issuer = "Orgstack";
    public const int RecoveryCodeCount = 10;

    private IDataProtector Protector => protection.CreateProtector(Purpose);

    public string Protect(byte[] secret) => Protector.Protect(Base32.Encode(secret));

    public byte[]? Unprotect(string? stored)
    {
        if (stored is null) return null;
        try
        {
            return Base32.Decode(Protector.Unprotect(stored));
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>
    /// Checks a TOTP code (±1 step) and records its step with a conditional update, so a code is accepted once on every
    /// node; anything that is not 6 digits is tried as a recovery code (used up the same way).
    /// </summary>
    /// <summary>The account's two-step state: on, required by an admin, and the secret of an enrolment in progress (null when none).</summary>
    public sealed record State(bool Enabled, bool Required, byte[]? PendingSecret);

    public async Task<State?> StateAsync(string userUid, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().Where(u => u.Uid == userUid)
            .Select(u => new { u.TotpEnabled, u.MustEnrollMfa, u.TotpSecret }).FirstOrDefaultAsync(ct);
        if (user is null) return null;
        return new State(user.TotpEnabled, user.MustEnrollMfa, user.TotpEnabled ? null : Unprotect(user.TotpSecret));
    }

    public async Task<bool> VerifyAsync(User user, string? code, bool allowRecoveryCode, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(code) || code.Length > 64) return false;
        code = code.Trim().Replace(" ", "", StringComparison.Ordinal);
        if (code.Length == Totp.Digits && code.All(char.IsAsciiDigit))
        {
            var key = Unprotect(user.TotpSecret);
            if (key is null) return false;
            if (Totp.MatchingStep(key, code, clock.GetUtcNow()) is not { } step) return false;
            var rows = await db.Users.Where(u => u.Uid == user.Uid && (u.TotpLastStep == null || u.TotpLastStep < step))
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.TotpLastStep, step), ct);
            if (rows == 1) user.TotpLastStep = step;
            return rows == 1;
        }
        if (!allowRecoveryCode) return false;
        var hash = Secrets.Hash(NormalizeRecoveryCode(code));
        var now = clock.GetUtcNow();
        var used = await db.RecoveryCodes.Where(r => r.UserUid == user.Uid && r.CodeHash == hash && r.UsedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.UsedAt, now), ct);
        return used == 1;
    }

    /// <summary>Replaces the user's recovery codes with ten new ones (added to the context); returns them for showing once.</summary>
    public async Task<string[]> NewRecoveryCodesAsync(string userUid, CancellationToken ct)
    {
        await db.RecoveryCodes.Where(r => r.UserUid == userUid).ExecuteDeleteAsync(ct);
        var now = clock.GetUtcNow();
        var codes = new List<string>(RecoveryCodeCount);
        for (var i = 0; i < RecoveryCodeCount; i++)
        {
            var raw = Base32.Encode(RandomNumberGenerator.GetBytes(7)).ToLowerInvariant()[..10];
            var code = raw[..5] + "-" + raw[5..];
            codes.Add(code);
            db.RecoveryCodes.Add(new RecoveryCode { Uid = Ids.New(), UserUid = userUid, CodeHash = Secrets.Hash(NormalizeRecoveryCode(code)), CreatedAt = now });
        }
        return codes.ToArray();
    }

    /// <summary>Removes the factor entirely (disable, MFA reset).</summary>
    public async Task ClearAsync(string userUid, CancellationToken ct)
    {
        await db.RecoveryCodes.Where(r => r.UserUid == userUid).ExecuteDeleteAsync(ct);
        await db.Users.Where(u => u.Uid == userUid).ExecuteUpdateAsync(u => u
            .SetProperty(x => x.TotpSecret, (string?)null)
            .SetProperty(x => x.TotpEnabled, false)
            .SetProperty(x => x.TotpLastStep, (long?)null), ct);
    }

    private static string NormalizeRecoveryCode(string code) => code.Trim().Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
}

/// <summary>Starts enrolment: a new secret (stored encrypted, not yet active), its otpauth:// URI and a QR code.</summary>
public sealed class EnrollTwoFactor(OrgstackDbContext db, TwoFactor twoFactor, TimeProvider clock)
{
    public sealed record Enrollment(string Secret, string Uri, byte[] QrPng, string QrSvg);

    public async Task<Result<Enrollment>> HandleAsync(Done request, Actor actor, CancellationToken ct)
    {
        var user = await db.Users.FirstOrDefaultAsync(u => u.Uid == actor.UserUid, ct);
        if (user is null) return CommonErrors.NotSignedIn;
        if (user.TotpEnabled) return TwoFactorErrors.AlreadyEnabled;
        var secret = RandomNumberGenerator.GetBytes(20);
        var base32 = Base32.Encode(secret);
        user.TotpSecret = twoFactor.Protect(secret);
        user.TotpLastStep = null;
        user.UpdatedAt = clock.GetUtcNow();
        db.AuditEvents.Add(Audit.Audit.Event(actor, user.UpdatedAt, null, "user", "two_factor_enrollment_started", "user", user.Uid, user.Email));
        await db.SaveChangesAsync(ct);
        var uri = Totp.Uri(TwoFactor.Issuer, user.Email, base32);
        var qr = QrCode.EncodeText(uri);
        return new Enrollment(base32, uri, qr.ToPng(), qr.ToSvg());
    }
}

/// <summary>Turns the factor on with a first valid code; answers ten single-use recovery codes (stored hashed).</summary>
public sealed class ConfirmTwoFactor(OrgstackDbContext db, TwoFactor twoFactor, TimeProvider clock)
{
    public async Task<Result<string[]>> HandleAsync(string? code, Actor actor, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Uid == actor.UserUid, ct);
        if (user is null) return CommonErrors.NotSignedIn;
        if (user.TotpEnabled) return TwoFactorErrors.AlreadyEnabled;
        if (user.TotpSecret is null) return TwoFactorErrors.NotEnrolling;
        if (!await twoFactor.VerifyAsync(user, code, allowRecoveryCode: false, ct)) return TwoFactorErrors.InvalidCode;

        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var secret = user.TotpSecret;
        var enabled = await db.Users.Where(u => u.Uid == user.Uid && !u.TotpEnabled && u.TotpSecret == secret)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.TotpEnabled, true).SetProperty(x => x.MustEnrollMfa, false).SetProperty(x => x.UpdatedAt, now), ct);
        if (enabled != 1) return TwoFactorErrors.NotEnrolling;
        var codes = await twoFactor.NewRecoveryCodesAsync(user.Uid, ct);
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, null, "user", "two_factor_enabled", "user", user.Uid, user.Email));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return codes;
    }
}

/// <summary>Turns the factor off; needs a current code from the authenticator.</summary>
public sealed class DisableTwoFactor(OrgstackDbContext db, TwoFactor twoFactor, TimeProvider clock)
{
    public async Task<Result<Done>> HandleAsync(string? code, Actor actor, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Uid == actor.UserUid, ct);
        if (user is null) return CommonErrors.NotSignedIn;
        if (!user.TotpEnabled) return TwoFactorErrors.NotEnabled;
        if (!await twoFactor.VerifyAsync(user, code, allowRecoveryCode: false, ct)) return TwoFactorErrors.InvalidCode;
        var now = clock.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await twoFactor.ClearAsync(user.Uid, ct);
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, null, "user", "two_factor_disabled", "user", user.Uid, user.Email));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return Done.Value;
    }
}
