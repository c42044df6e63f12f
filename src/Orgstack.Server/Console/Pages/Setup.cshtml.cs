using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Console.Pages;

/// <summary>
/// First-run setup from the link printed at start-up. GET only checks the link (mail scanners and previews may
/// fetch it); the POST consumes it, creates the first Owner and organization, and signs the Owner in.
/// </summary>
[AnonymousPage]
public sealed class SetupModel(CheckSetupToken check, CompleteSetup complete, SignIn signIn, OrgstackOptions options) : ConsolePageModel
{
    public override string Title => "Set up Orgstack";
    public override bool StandAlone => true;

    [BindProperty(SupportsGet = true)] public string? Token { get; set; }
    [BindProperty] public string? OrganizationName { get; set; }
    [BindProperty] public string? FirstName { get; set; }
    [BindProperty] public string? LastName { get; set; }
    [BindProperty] public string? Email { get; set; }
    [BindProperty] public string? Password { get; set; }

    public Error? Problem { get; private set; }
    public bool LinkUsable { get; private set; }
    public int MinimumPasswordLength => options.Passwords.MinimumLength;

    public string? FieldError(string field) =>
        Problem?.Fields is { } fields && fields.TryGetValue(field, out var messages) ? messages.FirstOrDefault() : null;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var status = await check.HandleAsync(Token, ct);
        LinkUsable = status.IsSuccess;
        if (!status.IsSuccess) Problem = status.Error;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var actor = Actor.System(HttpContext.RemoteAddress());
        var created = await complete.HandleAsync(new CompleteSetup.Request(Token, OrganizationName, Email, FirstName, LastName, Password), actor, ct);
        if (!created.IsSuccess)
        {
            Problem = created.Error;
            LinkUsable = created.Error!.Code != SetupErrors.LinkInvalid.Code && created.Error.Code != SetupErrors.AlreadyDone.Code;
            Password = null;
            return Page();
        }

        var session = await signIn.HandleAsync(new SignIn.Request(Email, Password, null, HttpContext.RemoteAddress(), Request.Headers.UserAgent.ToString()), ct);
        if (!session.IsSuccess) return Redirect("/sign-in");
        ConsoleCookies.Write(Response, session.Value.Token);
        return Redirect("/o/" + Uri.EscapeDataString(created.Value.Uid));
    }
}
