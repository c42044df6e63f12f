using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Api;

public sealed record CodeRequest(string? Code);
public sealed record EmailUserRequest(EmailUser? User);
public sealed record EmailUser(string? Email);
public sealed record ResetPasswordRequest(ResetPasswordUser? User);
public sealed record ResetPasswordUser(string? ResetPasswordToken, string? Password, string? PasswordConfirmation);
public sealed record ActivateRequest(ActivateUser? User);
public sealed record ActivateUser(string? FirstName, string? LastName, string? Password, string? PasswordConfirmation);
public sealed record ProfileRequest(ProfileUser? User);
public sealed record ProfileUser(string? FirstName, string? LastName, string? Company);
public sealed record ChangePasswordRequest(ChangePasswordUser? User);
public sealed record ChangePasswordUser(string? CurrentPassword, string? Password, string? PasswordConfirmation);
public sealed record MfaResetRequest(string? Token, string? Password);
public sealed record MembersBody(List<string>? Users);

/// <summary>The caller's own account: two-factor, password reset and change, activation, profile.</summary>
public static class AccountEndpoints
{
    public static void Map(RouteGroupBuilder v3)
    {
        var tfa = v3.MapGroup("/user/two_factor").WithTags("User");

        tfa.MapPost("/enroll", async (HttpContext http, EnrollTwoFactor enroll, CancellationToken ct) =>
            ApiResults.From(await enroll.HandleAsync(Done.Value, http.Actor()!, ct), e => new
            {
                notice = "Scan the QR code with your authenticator app, then confirm with a code.",
                two_factor = new
                {
                    secret = e.Secret,
                    otpauth_uri = e.Uri,
                    qr_code_png = "data:image/png;base64," + Convert.ToBase64String(e.QrPng),
                    qr_code_svg = e.QrSvg,
                },
            })).RequireSession().WithSummary("Start TOTP enrolment: secret (base32), otpauth:// URI and QR code.");

        tfa.MapPost("/confirm", async (CodeRequest? body, HttpContext http, ConfirmTwoFactor confirm, CancellationToken ct) =>
            ApiResults.From(await confirm.HandleAsync(body?.Code, http.Actor()!, ct), codes => new
            {
                notice = "Two-factor authentication is on. Keep these recovery codes somewhere safe: each works once.",
                recovery_codes = codes,
            })).RequireSession().WithSummary("Confirm enrolment with a first code; answers ten single-use recovery codes.");

        tfa.MapPost("/disable", async (CodeRequest? body, HttpContext http, DisableTwoFactor disable, CancellationToken ct) =>
            ApiResults.From(await disable.HandleAsync(body?.Code, http.Actor()!, ct), _ => new { notice = "Two-factor authentication is off." }))
            .RequireSession().WithSummary("Turn TOTP off with a current code.");

        tfa.MapPost("/reset", async (MfaResetRequest? body, HttpContext http, CompleteMfaReset reset, CancellationToken ct) =>
        {
            var result = await reset.HandleAsync(new CompleteMfaReset.Request(body?.Token, body?.Password), Anonymous(http), ct);
            return result.IsSuccess
                ? Results.Json(new { notice = "Two-factor authentication was removed. Sign in with your password and set it up again." })
                : SecurityResults.Error(result.Error!);
        }).WithSummary("Follow an admin's MFA-reset link: token and password clear the factor and end every session.");

        v3.MapPost("/user/forgot_password", async (EmailUserRequest? body, HttpContext http, ForgotPassword forgot, CancellationToken ct) =>
        {
            var result = await forgot.HandleAsync(body?.User?.Email, Anonymous(http), ct);
            return result.IsSuccess ? Results.Json(new { notice = result.Value }) : SecurityResults.Error(result.Error!);
        }).WithTags("User").WithSummary("Request a password reset link (the answer never tells whether the address has an account).");

        v3.MapPost("/user/reset_password", async (ResetPasswordRequest? body, HttpContext http, ResetPassword reset, CancellationToken ct) =>
        {
            var u = body?.User;
            var result = await reset.HandleAsync(new ResetPassword.Request(u?.ResetPasswordToken, u?.Password, u?.PasswordConfirmation), Anonymous(http), ct);
            return result.IsSuccess ? Results.Json(new { notice = "Your password has been reset successfully." }) : SecurityResults.Error(result.Error!);
        }).WithTags("User").WithSummary("Set a new password with the emailed reset token.");

        v3.MapPost("/user/activate/{token}", async (string token, ActivateRequest? body, HttpContext http, ActivateAccount activate, CancellationToken ct) =>
        {
            var u = body?.User;
            var result = await activate.HandleAsync(new ActivateAccount.Request(token, u?.FirstName, u?.LastName, u?.Password, u?.PasswordConfirmation), Anonymous(http), ct);
            return result.IsSuccess ? Results.Json(new { notice = "Your account has been activated." }) : ApiResults.Error(result.Error!);
        }).WithTags("User").WithSummary("Activate an account with its emailed token.");

        v3.MapPut("/user", async (ProfileRequest? body, HttpContext http, UpdateProfile update, UserDirectory users, CancellationToken ct) =>
        {
            var u = body?.User;
            var result = await update.HandleAsync(new UpdateProfile.Request(u?.FirstName, u?.LastName, u?.Company), http.Actor()!, ct);
            if (!result.IsSuccess) return ApiResults.Error(result.Error!);
            var organizations = await users.OrganizationsAsync(result.Value.Uid, false, ct);
            return Results.Json(new { notice = "Profile updated successfully.", user = Wire.User(result.Value, SessionAuthentication.TokenFrom(http.Request), organizations) });
        }).RequireSession().WithTags("User").WithSummary("Update first name, last name and company; other fields are ignored.");

        v3.MapPost("/user/change_password", async (ChangePasswordRequest? body, HttpContext http, ChangePassword change, CancellationToken ct) =>
        {
            var u = body?.User;
            var result = await change.HandleAsync(new ChangePassword.Request(u?.CurrentPassword, u?.Password, u?.PasswordConfirmation,
                http.Request.Headers.UserAgent.ToString()), http.Actor()!, ct);
            return result.IsSuccess
                ? Results.Json(new { notice = "Your password has been changed. Every other session was signed out.", authtoken = result.Value })
                : ApiResults.Error(result.Error!);
        }).RequireSession().WithTags("User").WithSummary("Change the password with the current one; answers a fresh authtoken.");
    }

    private static Actor Anonymous(HttpContext http) => new("anonymous", "anonymous", http.RemoteAddress(), http.TraceIdentifier);
}

/// <summary>Owner/Admin account actions on members, 1..Bulk:MaxUsersPerAction users each, with a result per user.</summary>
public static class MemberSecurityEndpoints
{
    public static void Map(RouteGroupBuilder v3)
    {
        var users = v3.MapGroup("/organizations/{organizationUid}/users").RequireSession().WithTags("Organizations");

        users.MapPost("/unlock", (string organizationUid, MembersBody? body, HttpContext http, UnlockUsers unlock, CancellationToken ct) =>
            Run(unlock.HandleAsync(new MembersRequest(organizationUid, body?.Users), http.Actor()!, ct), "Unlock processed."))
            .WithSummary("Unlock locked accounts (users: uids or emails).");
        users.MapPost("/reset_password", (string organizationUid, MembersBody? body, HttpContext http, ForcePasswordReset reset, CancellationToken ct) =>
            Run(reset.HandleAsync(new MembersRequest(organizationUid, body?.Users), http.Actor()!, ct), "Password reset processed."))
            .WithSummary("Force a password reset: sessions end, a reset link is emailed, sign-in requires a new password.");
        users.MapPost("/reset_mfa", (string organizationUid, MembersBody? body, HttpContext http, ResetMemberMfa reset, CancellationToken ct) =>
            Run(reset.HandleAsync(new MembersRequest(organizationUid, body?.Users), http.Actor()!, ct), "Two-factor reset processed."))
            .WithSummary("Email members a single-use 15-minute link that clears their second factor.");
        users.MapPost("/sign_out", (string organizationUid, MembersBody? body, HttpContext http, ForceSignOut signOut, CancellationToken ct) =>
            Run(signOut.HandleAsync(new MembersRequest(organizationUid, body?.Users), http.Actor()!, ct), "Sign-out processed."))
            .WithSummary("End every session of the named members.");
    }

    private static async Task<IResult> Run(Task<Result<MemberActionResult[]>> action, string notice)
    {
        var result = await action;
        return ApiResults.From(result, r => new { notice, users = r });
    }
}
