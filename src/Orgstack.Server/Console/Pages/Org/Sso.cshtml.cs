using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Common;
using Orgstack.Core.Sso;

namespace Orgstack.Server.Console.Pages.Org;

/// <summary>
/// Administration › Single sign-on (Owner and Admins): connect the identity provider (SAML metadata by URL or XML, or by
/// hand; OpenID Connect issuer and client), copy the service-provider details into the IdP, test a real sign-in, turn SSO
/// on or off, strict mode, and (Owner only) email domains for just-in-time membership. Every change goes through Core's
/// <see cref="UpdateSsoSettings"/>; every successful POST redirects back here (post/redirect/get).
/// </summary>
public sealed partial class SsoModel(GetSsoSettings get, UpdateSsoSettings update) : OrgPageModel
{
    public override string Section => "sso";
    public override string Title => "Single sign-on";

    [BindProperty] public string? Protocol { get; set; }
    [BindProperty] public string? MetadataUrl { get; set; }
    [BindProperty] public string? MetadataXml { get; set; }
    [BindProperty] public string? EntityId { get; set; }
    [BindProperty] public string? SsoUrl { get; set; }
    [BindProperty] public string? Certificates { get; set; }
    [BindProperty] public string? Issuer { get; set; }
    [BindProperty] public string? ClientId { get; set; }
    [BindProperty] public string? ClientSecret { get; set; }
    [BindProperty] public string? Scopes { get; set; }
    [BindProperty] public bool Strict { get; set; }
    [BindProperty] public bool JitEnabled { get; set; }
    [BindProperty] public string? JitDomains { get; set; }

    [FromQuery(Name = "saved")] public string? Saved { get; set; }

    public SsoView View { get; private set; } = null!;
    public SsoConfiguration? Config => View.Configuration;
    public string? ErrorMessage { get; private set; }
    /// <summary>The section the error belongs to (connection, status, strict, jit), so it shows next to its form.</summary>
    public string? ErrorSection { get; private set; }
    public IReadOnlyCollection<string> ErrorFields { get; private set; } = [];
    public bool IsOwner => Role == Core.Organizations.OrgRole.Owner;

    public string TestUrl(string protocol) =>
        $"/sso/{Uri.EscapeDataString(OrgUid)}/{protocol}/start?returnUrl={Uri.EscapeDataString(OrgPath("/sso?saved=tested"))}";

    public string? SavedMessage => Saved switch
    {
        "connection" => "Identity provider settings saved. Test a sign-in before turning single sign-on on.",
        "enabled" => "Single sign-on is on. Members now sign in through your identity provider.",
        "disabled" => "Single sign-on is off. Members sign in with their Orgstack password again.",
        "strict" => Config?.Strict == true ? "Strict mode is on." : "Strict mode is off.",
        "jit" => "Email domains saved.",
        "tested" => Config?.TestedAt is not null ? "The test sign-in worked. You can turn single sign-on on." : null,
        _ => null,
    };

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (await LoadAsync(ct) is { } refused) return refused;
        Fill();
        return Page();
    }

    /// <summary>The form fields as saved (the secret and certificates are never shown back).</summary>
    private void Fill()
    {
        Protocol = Config?.Protocol == SsoProtocol.Oidc ? "oidc" : "saml";
        EntityId = Config?.SamlIdpEntityId;
        SsoUrl = Config?.SamlIdpSsoUrl;
        MetadataUrl = Config?.SamlIdpMetadataUrl;
        Issuer = Config?.OidcIssuer;
        ClientId = Config?.OidcClientId;
        Scopes = Config?.OidcScopes ?? "openid email profile";
        Strict = Config?.Strict ?? false;
        JitEnabled = Config?.JitEnabled ?? false;
        JitDomains = Config?.JitDomains;
    }

    public Task<IActionResult> OnPostConnectionAsync(CancellationToken ct)
    {
        var saml = Protocol == "saml";
        var request = new UpdateSsoRequest(OrgUid, Protocol is "saml" or "oidc" ? Protocol : "",
            null, null,
            saml ? Blank(EntityId) : null, saml ? Blank(SsoUrl) : null, saml ? SplitCertificates(Certificates) : null,
            saml ? null : Blank(Issuer), saml ? null : Blank(ClientId), saml ? null : Blank(ClientSecret), saml ? null : Blank(Scopes),
            saml ? Blank(MetadataUrl) : null, saml && Blank(MetadataUrl) is null ? Blank(MetadataXml) : null);
        return SaveAsync(request, "connection", ct);
    }

    public Task<IActionResult> OnPostEnableAsync(CancellationToken ct) => SaveAsync(Only() with { Enabled = true }, "enabled", ct, "status");

    public Task<IActionResult> OnPostDisableAsync(CancellationToken ct) => SaveAsync(Only() with { Enabled = false }, "disabled", ct, "status");

    public Task<IActionResult> OnPostStrictAsync(CancellationToken ct) => SaveAsync(Only() with { Strict = Strict }, "strict", ct);

    public Task<IActionResult> OnPostJitAsync(CancellationToken ct) =>
        SaveAsync(Only() with { JitEnabled = JitEnabled, JitDomains = Separators().Split(JitDomains ?? "").Where(d => d.Length > 0).ToList() }, "jit", ct);

    private UpdateSsoRequest Only() => new(OrgUid, null, null, null, null, null, null, null, null, null, null);

    private async Task<IActionResult> SaveAsync(UpdateSsoRequest request, string saved, CancellationToken ct, string? section = null)
    {
        var result = await update.HandleAsync(request, Caller!, ct);
        if (result.IsSuccess) return Redirect(OrgPath("/sso?saved=" + saved));
        if (result.Error!.Kind is ErrorKind.Forbidden && result.Error.Code == CommonErrors.NotAdmin.Code) return StatusCode(403);
        if (await LoadAsync(ct) is { } refused) return refused;
        ErrorMessage = result.Error.Message;
        ErrorSection = section ?? saved;
        ErrorFields = result.Error.Fields?.Keys.ToList() ?? [];
        // Keep what was typed in the form that failed; show the rest as saved.
        var (strict, jitEnabled, jitDomains) = (Strict, JitEnabled, JitDomains);
        var typed = (Protocol, MetadataUrl, EntityId, SsoUrl, Issuer, ClientId, Scopes);
        Fill();
        if (saved == "strict") Strict = strict;
        if (saved == "jit") (JitEnabled, JitDomains) = (jitEnabled, jitDomains);
        if (saved == "connection") (Protocol, MetadataUrl, EntityId, SsoUrl, Issuer, ClientId, Scopes) = typed;
        return Page();
    }

    private async Task<IActionResult?> LoadAsync(CancellationToken ct)
    {
        var found = await get.HandleAsync(OrgUid, Caller!, ct);
        if (!found.IsSuccess) return StatusCode(found.Error!.Kind == ErrorKind.Forbidden ? 403 : 404);
        View = found.Value;
        return null;
    }

    public bool Invalid(params string[] fields) => ErrorSection == "connection" && fields.Any(ErrorFields.Contains);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>One or more PEM certificates (or one bare base64 certificate) from the text box.</summary>
    public static List<string>? SplitCertificates(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var blocks = PemBlock().Matches(text).Select(m => m.Value).ToList();
        return blocks.Count > 0 ? blocks : [text.Trim()];
    }

    [GeneratedRegex("-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----")]
    private static partial Regex PemBlock();

    [GeneratedRegex("[\\s,;]+")]
    private static partial Regex Separators();
}
