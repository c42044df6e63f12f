using System.Net;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Invitations;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using static Orgstack.Tests.Support.SsoScenario;

namespace Orgstack.Tests.Sso;

/// <summary>IdP metadata import, "access without SSO" at invitation, and just-in-time membership.</summary>
public sealed class SsoSetupTests(SsoIdpFixture idps) : IClassFixture<SsoIdpFixture>, IAsyncLifetime
{
    private readonly SsoAppFactory app = new();

    public Task InitializeAsync() => idps.OidcModeAsync("none");

    public async Task DisposeAsync()
    {
        await idps.OidcModeAsync("none");
        app.Dispose();
    }

    private async Task<HttpResponseMessage> OidcSignInAsync(string orgUid, string login)
    {
        using var browser = new SsoBrowser(app);
        var back = await browser.OidcLoginAsync(await browser.StartAsync(orgUid, "oidc"), login);
        return await browser.BackToAppAsync(back);
    }

    private Task EnforceAsync(string orgUid, bool strict) =>
        app.WithDbAsync(db => db.SsoConfigurations.Where(c => c.OrganizationUid == orgUid)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.Enabled, true).SetProperty(c => c.Strict, strict).SetProperty(c => c.TestedAt, DateTimeOffset.UtcNow)));

    // Metadata import

    [Fact]
    public async Task SamlMetadataImport_ByUrl_FillsIdpSettingsAndSignInWorks()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var api = await app.SignedInAsync(owner.Email);

        var sso = (await api.PutAsync($"/v3/organizations/{org.Uid}/sso", new { sso = new { protocol = "saml", saml = new { metadata_url = idps.Saml.BaseUrl + "/metadata" } } }))
            .EnsureStatus(HttpStatusCode.OK).Json["sso"]!;

        Assert.Equal(idps.Saml.BaseUrl + "/metadata", sso["saml"]!["idp_entity_id"]!.GetValue<string>());
        Assert.Equal(idps.Saml.BaseUrl + "/sso", sso["saml"]!["idp_sso_url"]!.GetValue<string>());
        Assert.Equal(idps.Saml.BaseUrl + "/metadata", sso["saml"]!["metadata_url"]!.GetValue<string>());
        Assert.Single(sso["saml"]!["idp_certificates"]!.AsArray());
        await idps.SamlSpAsync(sso["saml"]!["sp_entity_id"]!.GetValue<string>(), sso["saml"]!["sp_acs_url"]!.GetValue<string>());
        var email = await app.InvitePersonAsync(org.Uid, owner);
        using var browser = new SsoBrowser(app);
        var idpUrl = await browser.StartAsync(org.Uid, "saml");
        SsoSessionToken(await browser.PostAcsAsync(org.Uid, await browser.SamlIdpResponseAsync(idpUrl, email)));
    }

    [Fact]
    public async Task SamlMetadataImport_ByXml_FillsIdpSettings()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var api = await app.SignedInAsync(owner.Email);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var xml = await http.GetStringAsync(idps.Saml.BaseUrl + "/metadata");

        var sso = (await api.PutAsync($"/v3/organizations/{org.Uid}/sso", new { sso = new { protocol = "saml", saml = new { metadata_xml = xml } } }))
            .EnsureStatus(HttpStatusCode.OK).Json["sso"]!;

        Assert.Equal(idps.Saml.BaseUrl + "/sso", sso["saml"]!["idp_sso_url"]!.GetValue<string>());
        Assert.Null(sso["saml"]!["metadata_url"]);
    }

    [Fact]
    public async Task SamlMetadataImport_NotMetadata_IsRefused()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var api = await app.SignedInAsync(owner.Email);

        (await api.PutAsync($"/v3/organizations/{org.Uid}/sso", new { sso = new { protocol = "saml", saml = new { metadata_xml = "<html><body>hello</body></html>" } } }))
            .EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    // Access without SSO at invitation

    private static object InviteBody(string orgUid, bool? accessWithoutSso, params string[] emails) => new
    {
        share = new Dictionary<string, object?>
        {
            ["users"] = emails.ToDictionary(e => e, _ => new[] { OrgRoles.UidFor(orgUid, OrgRole.Member) }),
            ["access_without_sso"] = accessWithoutSso,
        },
    };

    [Fact]
    public async Task Invite_AccessWithoutSso_InNonStrictSsoOrganization_SetsFlagOnEveryAddressAndAudits()
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        await EnforceAsync(org.Uid, strict: false);
        var api = await app.SignedInAsync(owner.Email);
        var (a, b) = (MembersScenario.Unique("a"), MembersScenario.Unique("b"));

        var body = (await api.PostAsync($"/v3/organizations/{org.Uid}/share", InviteBody(org.Uid, true, a, b))).EnsureStatus(HttpStatusCode.OK).Json;

        Assert.All(body["shares"]!.AsArray(), s => Assert.True(s!["access_without_sso"]!.GetValue<bool>()));
        Assert.True((await app.MembershipAsync(org.Uid, a))!.AccessWithoutSso);
        Assert.True((await app.MembershipAsync(org.Uid, b))!.AccessWithoutSso);
        var metadata = await app.WithDbAsync(db => db.AuditEvents.Where(e => e.OrganizationUid == org.Uid && e.EventType == "invite").Select(e => e.MetadataJson).ToListAsync());
        Assert.All(metadata, m => Assert.Contains("\"access_without_sso\":true", m));
    }

    [Fact]
    public async Task Invite_AccessWithoutSso_InvitedPersonAcceptsWithPasswordAndReachesOrganization()
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        await EnforceAsync(org.Uid, strict: false);
        var api = await app.SignedInAsync(owner.Email);
        var (allowed, required) = (MembersScenario.Unique("allowed"), MembersScenario.Unique("required"));
        (await api.PostAsync($"/v3/organizations/{org.Uid}/share", InviteBody(org.Uid, true, allowed))).EnsureStatus(HttpStatusCode.OK);
        (await api.PostAsync($"/v3/organizations/{org.Uid}/share", InviteBody(org.Uid, null, required))).EnsureStatus(HttpStatusCode.OK);

        foreach (var email in new[] { allowed, required })
        {
            var token = await app.LatestTokenAsync(email);
            var accepted = await app.RunAsync<AcceptInvitation, AcceptInvitation.Accepted>(u =>
                u.HandleAsync(new AcceptInvitation.Request(token, "Pat", "Password", Scenario.Password), null, CancellationToken.None));
            Assert.True(accepted.IsSuccess, accepted.Error?.Message);
        }

        (await (await app.SignedInAsync(allowed)).GetAsync($"/v3/organizations/{org.Uid}")).EnsureStatus(HttpStatusCode.OK);
        (await (await app.SignedInAsync(required)).GetAsync($"/v3/organizations/{org.Uid}")).EnsureError(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Invite_AccessWithoutSso_WithoutSso_IsRefusedAndNothingIsInvited()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var api = await app.SignedInAsync(owner.Email);
        var email = MembersScenario.Unique("nosso");

        var error = (await api.PostAsync($"/v3/organizations/{org.Uid}/share", InviteBody(org.Uid, true, email))).EnsureError(HttpStatusCode.UnprocessableEntity);

        Assert.NotNull(error["errors"]!["access_without_sso"]);
        Assert.Null(await app.MembershipAsync(org.Uid, email));
    }

    [Fact]
    public async Task Invite_AccessWithoutSso_InStrictMode_IsRefusedAndNothingIsInvited()
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        await app.WithDbAsync(db => db.SsoConfigurations.Where(c => c.OrganizationUid == org.Uid).ExecuteUpdateAsync(u => u.SetProperty(c => c.Strict, true)));
        var api = await app.SignedInAsync(owner.Email);
        var email = MembersScenario.Unique("strict");

        var error = (await api.PostAsync($"/v3/organizations/{org.Uid}/share", InviteBody(org.Uid, true, email))).EnsureError(HttpStatusCode.UnprocessableEntity);

        Assert.Contains("strict", error["error_message"]!.GetValue<string>());
        Assert.Null(await app.MembershipAsync(org.Uid, email));
    }

    [Fact]
    public async Task Invite_AccessWithoutSsoNotABoolean_IsRefused()
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        var api = await app.SignedInAsync(owner.Email);
        var email = MembersScenario.Unique("typo");

        (await api.PostAsync($"/v3/organizations/{org.Uid}/share", new
        {
            share = new { users = new Dictionary<string, string[]> { [email] = ["member"] }, access_without_sso = "yes" },
        })).EnsureError(HttpStatusCode.BadRequest);
        Assert.Null(await app.MembershipAsync(org.Uid, email));
    }

    // Just-in-time membership

    private static string JitAddress(string domain = "jit.example") => $"p{Guid.NewGuid().ToString("n")[..10]}@{domain}";

    private async Task<(string OrgUid, ApiClient Owner)> JitOrganizationAsync(bool enabled, params string[] domains)
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        var api = await app.SignedInAsync(owner.Email);
        (await api.PutAsync($"/v3/organizations/{org.Uid}/sso", new { sso = new { jit = new { enabled, domains } } })).EnsureStatus(HttpStatusCode.OK);
        return (org.Uid, api);
    }

    [Fact]
    public async Task Jit_VerifiedAddressOfListedDomain_JoinsAsMemberOnFirstSignIn()
    {
        var (org, _) = await JitOrganizationAsync(true, "jit.example");
        var email = JitAddress();

        SsoSessionToken(await OidcSignInAsync(org, email));

        var membership = (await app.MembershipAsync(org, email))!;
        Assert.Equal(MembershipStatus.Accepted, membership.Status);
        Assert.Equal(OrgRole.Member, membership.Role);
        Assert.True(await app.SsoLinkedAsync(org, email));
        Assert.True(await app.AuditedAsync(org, "jit_join", email));
    }

    [Fact]
    public async Task Jit_Off_AddressOfListedDomain_IsRefused()
    {
        var (org, _) = await JitOrganizationAsync(false, "jit.example");
        var email = JitAddress();

        SsoRefused(await OidcSignInAsync(org, email));

        Assert.Null(await app.MembershipAsync(org, email));
    }

    [Fact]
    public async Task Jit_SubdomainOfListedDomain_IsRefused()
    {
        var (org, _) = await JitOrganizationAsync(true, "jit.example");
        var email = JitAddress("evil.jit.example");

        SsoRefused(await OidcSignInAsync(org, email));

        Assert.Null(await app.MembershipAsync(org, email));
        Assert.Equal(0, await app.SsoSessionCountAsync());
    }

    [Fact]
    public async Task Jit_EmailNotVerifiedByIdp_IsRefused()
    {
        var (org, _) = await JitOrganizationAsync(true, "jit.example");
        var email = JitAddress();
        using var browser = new SsoBrowser(app);
        var back = await browser.OidcLoginAsync(await browser.StartAsync(org, "oidc"), email);
        await idps.OidcModeAsync("email-unverified");

        SsoRefused(await browser.BackToAppAsync(back));

        Assert.Null(await app.MembershipAsync(org, email));
        Assert.Equal(0, await app.SsoSessionCountAsync());
    }

    [Fact]
    public async Task Jit_AddressWithAnExistingAccount_IsNotJoinedWithoutInvitation()
    {
        var (org, _) = await JitOrganizationAsync(true, "jit.example");
        var (other, otherOwner) = await app.NewOrganizationAsync();
        var email = JitAddress();
        await app.Member(other.Uid, email).InviteAndAcceptAsync(otherOwner);

        SsoRefused(await OidcSignInAsync(org, email));

        Assert.Null(await app.MembershipAsync(org, email));
        Assert.True(await app.AuditedAsync(org, "sign_in_refused"));
    }

    [Fact]
    public async Task Jit_WhenPlanIsFull_IsRefused()
    {
        var (org, _) = await JitOrganizationAsync(true, "jit.example");
        await app.WithDbAsync(db => db.Organizations.Where(o => o.Uid == org).ExecuteUpdateAsync(u => u.SetProperty(o => o.MaxUsers, 1)));
        var email = JitAddress();

        SsoRefused(await OidcSignInAsync(org, email));

        Assert.Null(await app.MembershipAsync(org, email));
    }

    [Fact]
    public async Task JitSettings_ByAdmin_AreForbidden()
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        var admin = (await app.Member(org.Uid, MembersScenario.Unique("admin"), OrgRole.Admin).InviteAndAcceptAsync(owner)).Email;
        var api = await app.SignedInAsync(admin);

        (await api.PutAsync($"/v3/organizations/{org.Uid}/sso", new { sso = new { jit = new { enabled = true, domains = new[] { "jit.example" } } } }))
            .EnsureError(HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("*.example.com")]
    [InlineData("example")]
    [InlineData("exa mple.com")]
    [InlineData("-bad.example")]
    public async Task JitSettings_InvalidDomain_AreRefused(string domain)
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        var api = await app.SignedInAsync(owner.Email);

        (await api.PutAsync($"/v3/organizations/{org.Uid}/sso", new { sso = new { jit = new { enabled = true, domains = new[] { domain } } } }))
            .EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task JitSettings_EnabledWithoutDomains_AreRefused()
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        var api = await app.SignedInAsync(owner.Email);

        (await api.PutAsync($"/v3/organizations/{org.Uid}/sso", new { sso = new { jit = new { enabled = true } } })).EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    // Plain http: the correlation cookie is SameSite=Lax, so an IdP on another site posts without it.

    private async Task<(string OrgUid, SsoBrowser Browser, string SamlResponse)> SamlResponseForAsync()
    {
        var (org, owner) = await app.SamlOrganizationAsync(idps);
        var email = await app.InvitePersonAsync(org.Uid, owner);
        var browser = new SsoBrowser(app);
        var requestId = SsoBrowser.RequestIdOf(await browser.StartAsync(org.Uid, "saml"));
        var xml = await idps.SamlResponseXmlAsync(new { inResponseTo = requestId, nameId = email });
        return (org.Uid, browser, Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(xml)));
    }

    private async Task<HttpResponseMessage> CrossSitePostAsync(string orgUid, Dictionary<string, string> fields)
    {
        using var cookieless = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/sso/{orgUid}/saml/acs") { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Add("Sec-Fetch-Site", "cross-site");
        request.Headers.Add("Origin", idps.Saml.BaseUrl);
        return await cookieless.SendAsync(request);
    }

    [Fact]
    public async Task SamlAcs_CrossSitePostWithoutTheCookie_IsResentOnceFromThisSiteAndSignsIn()
    {
        var (org, browser, samlResponse) = await SamlResponseForAsync();
        using var _ = browser;

        using var page = await CrossSitePostAsync(org, new() { ["SAMLResponse"] = samlResponse });

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("data-autopost", html);
        Assert.Equal(0, await app.SsoSessionCountAsync());
        var fields = System.Text.RegularExpressions.Regex.Matches(html, "<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")
            .ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));
        Assert.Equal(samlResponse, fields["SAMLResponse"]);
        SsoSessionToken(await browser.App.PostAsync($"/sso/{org}/saml/acs", new FormUrlEncodedContent(fields)));
    }

    [Fact]
    public async Task SamlAcs_ResentStillWithoutTheCookie_IsRejected()
    {
        var (org, browser, samlResponse) = await SamlResponseForAsync();
        using var _ = browser;

        SsoRefused(await CrossSitePostAsync(org, new() { ["SAMLResponse"] = samlResponse, ["orgstack_repost"] = "1" }));

        Assert.Equal(0, await app.SsoSessionCountAsync());
    }

    [Theory]
    [InlineData("/o/somewhere/sso", "/o/somewhere/sso")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("//evil.example/", "/")]
    public async Task SsoStart_ReturnUrl_OnlyLocalPathsAreFollowed(string returnUrl, string expected)
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        var email = await app.InvitePersonAsync(org.Uid, owner);
        using var browser = new SsoBrowser(app);
        using var start = await browser.App.GetAsync($"/sso/{org.Uid}/oidc/start?returnUrl={Uri.EscapeDataString(returnUrl)}");
        var back = await browser.OidcLoginAsync(start.Headers.Location!, email);

        using var done = await browser.BackToAppAsync(back);

        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.Equal(expected, done.Headers.Location!.OriginalString);
    }
}
