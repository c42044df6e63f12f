using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Organizations;
using Orgstack.Core.Sso;

namespace Orgstack.Tests.Support;

/// <summary>The server with IdP URLs over plain http allowed (the local IdPs listen on http://127.0.0.1).</summary>
public class SsoAppFactory : AppFactory
{
    public SsoAppFactory()
    {
        Settings["Orgstack:Sso:RequireHttps"] = "false";
        Settings["Orgstack:Sso:AllowLocalIdp"] = "true";
        Settings["Orgstack:Sso:KeyRefetchSeconds"] = "1";
    }
}

/// <summary>
/// A browser for SSO flows: one cookie jar for the server (in memory) and one for the IdP (on 127.0.0.1). Redirects
/// are followed by hand, so each hop can be read or tampered with.
/// </summary>
public sealed class SsoBrowser : IDisposable
{
    public const string PublicBaseUrl = "http://orgstack.test";
    public HttpClient App { get; }
    public HttpClient Idp { get; } = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, CookieContainer = new CookieContainer() });

    public SsoBrowser(AppFactory app)
    {
        App = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
    }

    /// <summary>GET /sso/{org}/{protocol}/start; the IdP URL it redirects to.</summary>
    public async Task<Uri> StartAsync(string organizationUid, string protocol)
    {
        using var response = await App.GetAsync($"/sso/{organizationUid}/{protocol}/start");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!;
    }

    /// <summary>Drives oidc-provider's dev login and consent; the redirect back to the server (not yet followed).</summary>
    public async Task<Uri> OidcLoginAsync(Uri authorize, string login)
    {
        var next = authorize;
        for (var hop = 0; hop < 20; hop++)
        {
            if (next.AbsoluteUri.StartsWith(PublicBaseUrl, StringComparison.Ordinal)) return next;
            using var response = await Idp.GetAsync(next);
            if ((int)response.StatusCode is >= 300 and < 400)
            {
                next = new Uri(next, response.Headers.Location!);
                continue;
            }
            var html = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"OP answered {response.StatusCode}: {html}");
            var action = Regex.Match(html, "<form[^>]*action=\"([^\"]+)\"").Groups[1].Value;
            var prompt = Regex.Match(html, "name=\"prompt\" value=\"([a-z]+)\"").Groups[1].Value;
            var fields = new Dictionary<string, string> { ["prompt"] = prompt };
            if (prompt == "login") { fields["login"] = login; fields["password"] = "x"; }
            using var posted = await Idp.PostAsync(new Uri(next, WebUtility.HtmlDecode(action)), new FormUrlEncodedContent(fields));
            Assert.True((int)posted.StatusCode is >= 300 and < 400, $"OP form answered {posted.StatusCode}");
            next = new Uri(next, posted.Headers.Location!);
        }
        throw new InvalidOperationException("The OP never redirected back");
    }

    /// <summary>Follows a redirect to the server (public URL) inside the test server.</summary>
    public Task<HttpResponseMessage> BackToAppAsync(Uri url) => App.GetAsync(url.PathAndQuery);

    /// <summary>The SAMLResponse the samlify IdP posts for this AuthnRequest URL and user.</summary>
    public async Task<string> SamlIdpResponseAsync(Uri idpUrl, string user)
    {
        using var response = await Idp.GetAsync(idpUrl + "&user=" + Uri.EscapeDataString(user));
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"IdP answered {response.StatusCode}: {html}");
        return Regex.Match(html, "name=\"SAMLResponse\" value=\"([^\"]+)\"").Groups[1].Value;
    }

    public Task<HttpResponseMessage> PostAcsAsync(string organizationUid, string samlResponseBase64) =>
        App.PostAsync($"/sso/{organizationUid}/saml/acs", new FormUrlEncodedContent(new Dictionary<string, string> { ["SAMLResponse"] = samlResponseBase64 }));

    public Task<HttpResponseMessage> PostAcsXmlAsync(string organizationUid, string xml) =>
        PostAcsAsync(organizationUid, Convert.ToBase64String(Encoding.UTF8.GetBytes(xml)));

    /// <summary>The AuthnRequest ID inside an HTTP-Redirect URL.</summary>
    public static string RequestIdOf(Uri idpUrl)
    {
        var query = System.Web.HttpUtility.ParseQueryString(idpUrl.Query);
        var deflated = Convert.FromBase64String(query["SAMLRequest"]!);
        using var inflate = new System.IO.Compression.DeflateStream(new MemoryStream(deflated), System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(inflate);
        return Regex.Match(reader.ReadToEnd(), "ID=\"([^\"]+)\"").Groups[1].Value;
    }

    public void Dispose()
    {
        App.Dispose();
        Idp.Dispose();
    }
}

public static class SsoScenario
{
    /// <summary>The session token the console cookie carries after a successful SSO sign-in (asserting success).</summary>
    public static string SsoSessionToken(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.OriginalString);
        var cookie = response.Headers.GetValues("Set-Cookie").First(c => c.StartsWith("orgstack=", StringComparison.Ordinal));
        return cookie["orgstack=".Length..cookie.IndexOf(';')];
    }

    /// <summary>Asserts the generic failure page and that no cookie was set.</summary>
    public static void SsoRefused(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("orgstack=", StringComparison.Ordinal)),
            "a session cookie was set");
    }

    public static Task<int> SsoSessionCountAsync(this AppFactory app) =>
        app.WithDbAsync(db => db.Sessions.CountAsync(s => s.Method == "sso"));

    public static Task<bool> SsoLinkedAsync(this AppFactory app, string organizationUid, string email) =>
        app.WithDbAsync(db => (from x in db.ExternalIdentities join u in db.Users on x.UserUid equals u.Uid
                               where x.OrganizationUid == organizationUid && u.Email == email select x).AnyAsync());

    public static async Task<SsoView> SsoConfigureAsync(this AppFactory app, string organizationUid, Actor actor, UpdateSsoRequest request)
    {
        var result = await app.RunAsync<UpdateSsoSettings, SsoView>(u => u.HandleAsync(request with { OrganizationUid = organizationUid }, actor, CancellationToken.None));
        Assert.True(result.IsSuccess, result.Error?.Message);
        return result.Value;
    }

    public static UpdateSsoRequest OidcSettings(SsoIdpFixture idps, bool? enabled = null, bool? strict = null) =>
        new("", "oidc", enabled, strict, null, null, null, idps.Oidc.BaseUrl, SsoIdpFixture.ClientId, SsoIdpFixture.ClientSecret, null);

    public static UpdateSsoRequest SamlSettings(SsoIdpFixture idps, string? certificatePem = null, bool? enabled = null, bool? strict = null) =>
        new("", "saml", enabled, strict, idps.Saml.BaseUrl + "/metadata", idps.Saml.BaseUrl + "/sso", [certificatePem ?? idps.Keys.IdpCertificatePem], null, null, null, null);

    /// <summary>An organization whose SSO is configured (not yet enabled) for the local OP.</summary>
    public static async Task<(Organization Org, Actor Owner)> OidcOrganizationAsync(this AppFactory app, SsoIdpFixture idps)
    {
        var (org, owner) = await app.NewOrganizationAsync();
        await app.SsoConfigureAsync(org.Uid, owner, OidcSettings(idps));
        await idps.OidcControlAsync("redirect", new { uri = $"{SsoBrowser.PublicBaseUrl}/sso/{org.Uid}/oidc/callback" });
        return (org, owner);
    }

    /// <summary>An organization whose SSO is configured (not yet enabled) for the local SAML IdP.</summary>
    public static async Task<(Organization Org, Actor Owner)> SamlOrganizationAsync(this AppFactory app, SsoIdpFixture idps)
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var view = await app.SsoConfigureAsync(org.Uid, owner, SamlSettings(idps));
        await idps.SamlSpAsync(view.SpEntityId, view.SpAcsUrl);
        return (org, owner);
    }

    public static async Task<string> InvitePersonAsync(this AppFactory app, string organizationUid, Actor owner, string prefix = "sso")
    {
        var email = MembersScenario.Unique(prefix);
        await app.InviteAsync(organizationUid, owner, MembersScenario.Invitee(email));
        return email;
    }
}

public static class SsoEnforcementScenario
{
    public static Task<string> OwnerEmailAsync(this AppFactory app, string organizationUid) =>
        app.WithDbAsync(db => Task.FromResult(db.Memberships.Single(m => m.OrganizationUid == organizationUid && m.Role == Orgstack.Core.Organizations.OrgRole.Owner).Email));

    public static async Task<Orgstack.Core.Accounts.User> ActorAsyncByToken(this AppFactory app, ApiClient client)
    {
        var hash = Orgstack.Core.Common.Secrets.Hash(client.AuthToken!);
        return await app.WithDbAsync(db => Task.FromResult(db.Users.Single(u => u.Uid == db.Sessions.Single(s => s.TokenHash == hash).UserUid)));
    }
}
