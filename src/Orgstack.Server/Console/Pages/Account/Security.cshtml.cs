using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Security;

namespace Orgstack.Server.Console.Pages.Account;

/// <summary>
/// Two-step verification of the signed-in account through Core's <see cref="EnrollTwoFactor"/>,
/// <see cref="ConfirmTwoFactor"/> and <see cref="DisableTwoFactor"/>. An enrolment in progress (secret stored, factor
/// not on yet) is shown again from the stored secret, so a wrong code or a reload does not lose the QR code.
/// </summary>
[AllowedWhileEnrollingMfa]
public sealed class SecurityModel(EnrollTwoFactor enroll, ConfirmTwoFactor confirm, DisableTwoFactor disable, TwoFactor twoFactor) : ConsolePageModel
{
    public override string Title => "Account security";

    [BindProperty] public string? Code { get; set; }
    /// <summary>"off" after the factor was turned off (post-redirect-get).</summary>
    [BindProperty(SupportsGet = true)] public string? Done { get; set; }

    public bool Enabled { get; private set; }
    public bool Required { get; private set; }
    public string? PendingSecret { get; private set; }
    public string? QrDataUri { get; private set; }
    public IReadOnlyList<string>? RecoveryCodes { get; private set; }
    public string? ErrorMessage { get; private set; }
    public string? ErrorField { get; private set; }

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    public async Task<IActionResult> OnPostEnrollAsync(CancellationToken ct)
    {
        var result = await enroll.HandleAsync(Orgstack.Core.Common.Done.Value, Caller!, ct);
        if (!result.IsSuccess)
        {
            await LoadAsync(ct);
            ErrorMessage = result.Error!.Message;
            return Page();
        }
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostConfirmAsync(CancellationToken ct)
    {
        var result = await confirm.HandleAsync(Code, Caller!, ct);
        if (!result.IsSuccess)
        {
            await LoadAsync(ct);
            ErrorMessage = result.Error!.Message;
            ErrorField = "confirm";
            return Page();
        }
        // Shown once, in this response only: the codes are stored hashed.
        Enabled = true;
        RecoveryCodes = result.Value;
        return Page();
    }

    public async Task<IActionResult> OnPostDisableAsync(CancellationToken ct)
    {
        var result = await disable.HandleAsync(Code, Caller!, ct);
        if (!result.IsSuccess)
        {
            await LoadAsync(ct);
            ErrorMessage = result.Error!.Message;
            ErrorField = "disable";
            return Page();
        }
        return Redirect("/account/security?done=off");
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var state = await twoFactor.StateAsync(Caller!.UserUid, ct);
        Enabled = state?.Enabled == true;
        Required = state?.Required == true;
        if (state?.PendingSecret is not { } secret) return;
        PendingSecret = Base32.Encode(secret);
        var qr = QrCode.EncodeText(Totp.Uri(TwoFactor.Issuer, SignedIn!.Email, PendingSecret));
        QrDataUri = "data:image/svg+xml;base64," + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(qr.ToSvg()));
    }

    /// <summary>The secret in groups of four, as authenticator apps show it.</summary>
    public static string Grouped(string secret) =>
        string.Join(' ', Enumerable.Range(0, (secret.Length + 3) / 4).Select(i => secret.Substring(i * 4, Math.Min(4, secret.Length - i * 4))));
}
