using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Sso;

namespace Orgstack.Server.Console.Pages;

/// <summary>
/// "Sign in with single sign-on": a work email or an organization ID leads to that organization's identity provider.
/// Core's <see cref="FindSsoOrganization"/> looks only at organizations' settings, and every miss gets the same answer,
/// so the page never tells whether an account exists.
/// </summary>
[AnonymousPage]
public sealed class SignInSsoModel(FindSsoOrganization find) : ConsolePageModel
{
    public override string Title => "Sign in with single sign-on";
    public override bool StandAlone => true;

    [BindProperty] public string? Identifier { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }

    public bool Missed { get; private set; }
    /// <summary>Where to continue: the identity provider's start URL (followed by a link, see the page).</summary>
    public string? ContinueUrl { get; private set; }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var found = await find.HandleAsync(Identifier, ct);
        if (found is null)
        {
            Missed = true;
            return Page();
        }
        var protocol = found.Protocol == SsoProtocol.Oidc ? "oidc" : "saml";
        var back = SafeReturnUrl(ReturnUrl);
        // Not a redirect: the console's CSP (form-action 'self') stops a form whose redirects leave the site.
        ContinueUrl = $"/sso/{Uri.EscapeDataString(found.OrganizationUid)}/{protocol}/start" + (back is null ? "" : "?returnUrl=" + Uri.EscapeDataString(back));
        return Page();
    }
}
