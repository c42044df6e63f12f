using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Accounts;

namespace Orgstack.Server.Console.Pages;

/// <summary>
/// The emailed MFA-reset link (<c>/reset-mfa?token=</c>): GET shows the form, POST proves the password through Core's
/// <see cref="CompleteMfaReset"/> (which uses up the token and ends every session); then sign-in leads to enrolment.
/// </summary>
[AnonymousPage]
public sealed class ResetMfaModel(CompleteMfaReset reset) : ConsolePageModel
{
    public override string Title => "Reset two-step verification";
    public override bool StandAlone => true;

    [BindProperty(SupportsGet = true)] public string? Token { get; set; }
    [BindProperty] public string? Password { get; set; }

    public string? ErrorMessage { get; private set; }
    public bool LinkInvalid { get; private set; }

    public void OnGet() => LinkInvalid = string.IsNullOrEmpty(Token);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var result = await reset.HandleAsync(new CompleteMfaReset.Request(Token, Password), AnonymousVisitor.Of(HttpContext), ct);
        Password = null;
        if (result.IsSuccess)
        {
            ConsoleCookies.Delete(Response);
            return Redirect("/sign-in?done=mfa&returnUrl=%2Faccount%2Fsecurity");
        }
        LinkInvalid = result.Error!.Code == SelfServiceErrors.LinkInvalid.Code;
        ErrorMessage = result.Error.Message;
        return Page();
    }
}
