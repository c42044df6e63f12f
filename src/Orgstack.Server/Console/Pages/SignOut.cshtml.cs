using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Accounts;

namespace Orgstack.Server.Console.Pages;

/// <summary>Sign-out revokes the session in the database (every node refuses the cookie from then on) and drops the cookie.</summary>
[AnonymousPage]
public sealed class SignOutModel(SessionTokens tokens) : ConsolePageModel
{
    public override string Title => "Sign out";

    public IActionResult OnGet() => Caller is null ? Redirect("/sign-in") : Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (ConsoleCookies.Read(Request) is { } token) await tokens.RevokeAsync(token, ct);
        ConsoleCookies.Delete(Response);
        return Redirect("/sign-in?signedOut=true");
    }
}
