using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Accounts;

namespace Orgstack.Server.Console.Pages;

/// <summary>
/// The emailed reset link (<c>/reset-password?token=</c>): GET only shows the form (a mail scanner consumes nothing);
/// POST goes through Core's <see cref="ResetPassword"/>, which checks and uses up the token.
/// </summary>
[AnonymousPage]
public sealed class ResetPasswordModel(ResetPassword reset, Orgstack.Core.Common.OrgstackOptions options) : ConsolePageModel
{
    public int MinimumLength => options.Passwords.MinimumLength;

    public override string Title => "Choose a new password";
    public override bool StandAlone => true;

    [BindProperty(SupportsGet = true)] public string? Token { get; set; }
    [BindProperty] public string? Password { get; set; }
    [BindProperty] public string? PasswordConfirmation { get; set; }

    public string? ErrorMessage { get; private set; }
    public IReadOnlyDictionary<string, string[]>? FieldErrors { get; private set; }
    public bool LinkInvalid { get; private set; }

    public IActionResult OnGet()
    {
        LinkInvalid = string.IsNullOrEmpty(Token);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var result = await reset.HandleAsync(new ResetPassword.Request(Token, Password, PasswordConfirmation), AnonymousVisitor.Of(HttpContext), ct);
        Password = PasswordConfirmation = null;
        if (result.IsSuccess)
        {
            // Every session of the account ended, this browser's too.
            ConsoleCookies.Delete(Response);
            return Redirect("/sign-in?done=password");
        }
        LinkInvalid = result.Error!.Code == SelfServiceErrors.LinkInvalid.Code;
        ErrorMessage = result.Error.Message;
        FieldErrors = result.Error.Fields;
        return Page();
    }
}
