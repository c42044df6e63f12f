using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Invitations;
using Orgstack.Core.Members;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Console.Pages.Links;

/// <summary>
/// The emailed invitation link (<c>/invitations/accept?token=</c>). GET shows the offer through Core's
/// <see cref="DescribeInvitation"/> and consumes nothing; POST accepts through <see cref="AcceptInvitation"/>: as the
/// signed-in invited address, or by creating the account for exactly that address (then signed in through
/// <see cref="SignIn"/>).
/// </summary>
[AnonymousPage]
public sealed class AcceptInvitationModel(DescribeInvitation describe, AcceptInvitation accept, SignIn signIn, OrgstackOptions options) : ConsolePageModel
{
    public override string Title => "Accept invitation";
    public override bool StandAlone => true;

    [BindProperty(SupportsGet = true)] public string? Token { get; set; }
    [BindProperty] public string? FirstName { get; set; }
    [BindProperty] public string? LastName { get; set; }
    [BindProperty] public string? Password { get; set; }

    public InvitationView? Invitation { get; private set; }
    public string? ErrorMessage { get; private set; }
    public IReadOnlyDictionary<string, string[]>? FieldErrors { get; private set; }
    public bool SignInRequired { get; private set; }
    public int MinimumLength => options.Passwords.MinimumLength;
    public string SelfPath => "/invitations/accept?token=" + Uri.EscapeDataString(Token ?? "");
    public string SignInPath => "/sign-in?returnUrl=" + Uri.EscapeDataString(SelfPath);
    public bool SignedInAsInvitee => Caller is not null && Invitation is not null && Caller.Email == Invitation.Email;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        await DescribeAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var result = await accept.HandleAsync(new AcceptInvitation.Request(Token, FirstName, LastName, Password, HttpContext.RemoteAddress()), Caller, ct);
        if (result.IsSuccess)
        {
            var orgPath = "/o/" + Uri.EscapeDataString(result.Value.Membership.OrganizationUid);
            if (!result.Value.AccountCreated) return LocalRedirect(orgPath);
            var session = await signIn.HandleAsync(new SignIn.Request(result.Value.User.Email, Password, null, HttpContext.RemoteAddress(),
                Request.Headers.UserAgent.ToString()), ct);
            if (!session.IsSuccess) return LocalRedirect("/sign-in?returnUrl=" + Uri.EscapeDataString(orgPath));
            ConsoleCookies.Write(Response, session.Value.Token);
            return LocalRedirect(orgPath);
        }
        Password = null;
        SignInRequired = result.Error!.Code == MemberErrors.SignInToAccept.Code;
        ErrorMessage = SignInRequired ? "An Orgstack account already exists for this address. Sign in to accept the invitation." : result.Error.Message;
        FieldErrors = result.Error.Fields;
        await DescribeAsync(ct);
        return Page();
    }

    private async Task DescribeAsync(CancellationToken ct)
    {
        var described = await describe.HandleAsync(Token, Caller, ct);
        Invitation = described.IsSuccess ? described.Value : null;
    }

    public bool HasError(string field) => FieldErrors?.ContainsKey(field) == true;
}
