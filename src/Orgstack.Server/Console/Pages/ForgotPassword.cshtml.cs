using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Accounts;

namespace Orgstack.Server.Console.Pages;

/// <summary>"Forgot password" through Core's <see cref="ForgotPassword"/>: the same answer whatever the address.</summary>
[AnonymousPage]
public sealed class ForgotPasswordModel(ForgotPassword forgot) : ConsolePageModel
{
    public override string Title => "Reset your password";
    public override bool StandAlone => true;

    [BindProperty(SupportsGet = true)] public string? Email { get; set; }

    public string? Notice { get; private set; }
    public string? ErrorMessage { get; private set; }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var actor = AnonymousVisitor.Of(HttpContext);
        var result = await forgot.HandleAsync(Email, actor, ct);
        if (result.IsSuccess) Notice = result.Value;
        else ErrorMessage = result.Error!.Message;
        return Page();
    }
}
