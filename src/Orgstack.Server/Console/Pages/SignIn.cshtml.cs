using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Console.Pages;

/// <summary>
/// Password sign-in through Core's <see cref="SignIn"/>. When Core answers that a second factor is needed, the page
/// turns into the code step: the credentials travel to it encrypted and time-limited, never in clear in the form.
/// </summary>
[AnonymousPage]
public sealed class SignInModel(SignIn signIn, OrgstackDbContext db, IDataProtectionProvider protection) : ConsolePageModel
{
    private static readonly TimeSpan ChallengeLifetime = TimeSpan.FromMinutes(5);

    public override string Title => "Sign in";
    public override bool StandAlone => true;

    [BindProperty] public string? Email { get; set; }
    [BindProperty] public string? Password { get; set; }
    [BindProperty] public string? Code { get; set; }
    [BindProperty] public string? SecondFactorChallenge { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    [BindProperty(SupportsGet = true)] public bool SignedOut { get; set; }
    /// <summary>Where the visitor comes from: "password" after a reset link, "mfa" after an MFA-reset link.</summary>
    [BindProperty(SupportsGet = true)] public string? Done { get; set; }

    /// <summary>The right password for an account whose administrator forced a password reset.</summary>
    public bool PasswordChangeRequired { get; private set; }

    public bool MfaStep { get; private set; }
    public string? ErrorMessage { get; private set; }
    public bool NotSetUp { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (Caller is not null) return LocalRedirect(SafeReturnUrl(ReturnUrl) ?? "/");
        NotSetUp = !await db.Users.AnyAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        string? email = Email, password = Password;
        if (SecondFactorChallenge is not null)
        {
            if (!TryOpen(SecondFactorChallenge, out email, out password))
            {
                ErrorMessage = "That took too long. Please sign in again.";
                SecondFactorChallenge = null;
                return Page();
            }
        }

        var result = await signIn.HandleAsync(new SignIn.Request(email, password, string.IsNullOrWhiteSpace(Code) ? null : Code.Trim(),
            HttpContext.RemoteAddress(), Request.Headers.UserAgent.ToString()), ct);
        if (!result.IsSuccess)
        {
            if (result.Error!.Kind == ErrorKind.TwoFactorRequired)
            {
                MfaStep = true;
                SecondFactorChallenge = Seal(email!, password!);
                // The first time the step appears there is nothing wrong yet; after a wrong code, say so.
                ErrorMessage = Code is null ? null : "That code did not work. Enter the current code from your authenticator app, or a recovery code you have not used yet.";
            }
            else if (result.Error.Code == SignInErrors.PasswordResetRequired.Code)
            {
                // Only reached with the right password (and second factor): the forced reset is not a secret from its owner.
                PasswordChangeRequired = true;
                Email = email;
                SecondFactorChallenge = null;
            }
            else
            {
                ErrorMessage = result.Error.Message;
                Email = email;
                SecondFactorChallenge = null;
            }
            Password = null;
            Code = null;
            return Page();
        }

        ConsoleCookies.Write(Response, result.Value.Token);
        // After an MFA reset nothing else works until a new authenticator is set up: go straight to it.
        if (result.Value.User.MustEnrollMfa) return LocalRedirect("/account/security");
        return LocalRedirect(SafeReturnUrl(ReturnUrl) ?? "/");
    }

    private ITimeLimitedDataProtector Protector => protection.CreateProtector("Orgstack.Console.SignIn.SecondFactor").ToTimeLimitedDataProtector();

    private string Seal(string email, string password) =>
        Protector.Protect(JsonSerializer.Serialize(new[] { email, password }), ChallengeLifetime);

    private bool TryOpen(string sealedValue, out string? email, out string? password)
    {
        email = password = null;
        try
        {
            var values = JsonSerializer.Deserialize<string[]>(Protector.Unprotect(sealedValue));
            if (values is not { Length: 2 }) return false;
            (email, password) = (values[0], values[1]);
            return true;
        }
        catch (System.Security.Cryptography.CryptographicException) { return false; }
        catch (JsonException) { return false; }
    }
}
