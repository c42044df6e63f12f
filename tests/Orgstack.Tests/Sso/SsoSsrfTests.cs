using System.Net;
using Orgstack.Core.Sso;
using Orgstack.Tests.Support;
using static Orgstack.Tests.Support.SsoScenario;

namespace Orgstack.Tests.Sso;

/// <summary>http IdP URLs allowed (so the address rule is what refuses), but no loopback or private targets.</summary>
public sealed class SsoGuardedAppFactory : AppFactory
{
    public SsoGuardedAppFactory()
    {
        Settings["Orgstack:Sso:RequireHttps"] = "false";
        Settings["Orgstack:Sso:AllowLocalIdp"] = "false";
    }
}

/// <summary>
/// S32 / O42: the server fetches IdP metadata, discovery, keys and tokens only from public https addresses, follows no
/// redirect, reads a bounded amount in bounded time. Every refusal leaves the settings unchanged.
/// </summary>
public sealed class SsoSsrfTests(SsoIdpFixture idps) : IClassFixture<SsoIdpFixture>, IDisposable
{
    private readonly SsoGuardedAppFactory guarded = new();
    private readonly SsoAppFactory local = new();
    private readonly AppFactory production = new();

    public void Dispose()
    {
        guarded.Dispose();
        local.Dispose();
        production.Dispose();
    }

    private static async Task<(string OrgUid, ApiClient Owner)> OwnerAsync(AppFactory app)
    {
        var (org, owner) = await app.NewOrganizationAsync();
        return (org.Uid, await app.SignedInAsync(owner.Email));
    }

    private static async Task<JsonNodeError> ImportRefusedAsync(AppFactory app, string metadataUrl, HttpStatusCode status = HttpStatusCode.UnprocessableEntity)
    {
        var (org, owner) = await OwnerAsync(app);
        var error = (await owner.PutAsync($"/v3/organizations/{org}/sso", new { sso = new { protocol = "saml", saml = new { metadata_url = metadataUrl } } }))
            .EnsureError(status);
        Assert.Null(await app.WithDbAsync(db => Task.FromResult(db.SsoConfigurations.FirstOrDefault(c => c.OrganizationUid == org))));
        return new JsonNodeError(error["error_message"]!.GetValue<string>());
    }

    public sealed record JsonNodeError(string Message);

    [Fact]
    public async Task S32_MetadataUrlOnLoopback_IsRefused() =>
        Assert.Contains("public https address", (await ImportRefusedAsync(guarded, idps.Saml.BaseUrl + "/metadata")).Message);

    [Fact]
    public async Task S32_MetadataUrlOnCloudMetadataAddress_IsRefused() =>
        await ImportRefusedAsync(guarded, "http://169.254.169.254/latest/meta-data/");

    [Fact]
    public async Task S32_MetadataUrlOnPrivateNetwork_IsRefused() =>
        await ImportRefusedAsync(guarded, "http://10.0.0.1/metadata");

    [Fact]
    public async Task S32_MetadataUrlOnIpv6Loopback_IsRefused() =>
        await ImportRefusedAsync(guarded, $"http://[::1]:{idps.Saml.Port}/metadata");

    // DNS rebinding class: a name whose answer is internal is refused at connect time, on the address connected to.
    [Fact]
    public async Task S32_MetadataUrlHostnameResolvingToLoopback_IsRefused() =>
        await ImportRefusedAsync(guarded, $"http://localhost:{idps.Saml.Port}/metadata");

    [Fact]
    public async Task S32_MetadataUrlOverPlainHttp_IsRefusedByDefault() =>
        Assert.Contains("https", (await ImportRefusedAsync(production, "http://idp.example.test/metadata")).Message);

    // Even with local IdPs allowed (tests), a redirect is never followed: it could point anywhere.
    [Fact]
    public async Task S32_MetadataUrlRedirectingElsewhere_IsNotFollowed() =>
        await ImportRefusedAsync(local, idps.Saml.BaseUrl + "/_test/redirect?to=" + Uri.EscapeDataString("http://169.254.169.254/latest/meta-data/"));

    [Fact]
    public async Task S32_MetadataLargerThanTheLimit_IsRefused() =>
        await ImportRefusedAsync(local, idps.Saml.BaseUrl + "/_test/big-metadata");

    [Fact]
    public async Task S32_MetadataThatNeverFinishes_TimesOut()
    {
        var started = DateTime.UtcNow;
        await ImportRefusedAsync(local, idps.Saml.BaseUrl + "/_test/slow-metadata");
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(40));
    }

    [Fact]
    public async Task S32_MetadataXmlWithDtd_IsRefused()
    {
        var (org, owner) = await OwnerAsync(local);
        const string xml = "<?xml version=\"1.0\"?><!DOCTYPE md [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                           + "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"&x;\"/>";
        (await owner.PutAsync($"/v3/organizations/{org}/sso", new { sso = new { protocol = "saml", saml = new { metadata_xml = xml } } }))
            .EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    // O42: discovery (and with it JWKS, token and UserInfo) goes through the same guard.
    [Fact]
    public async Task O42_DiscoveryOnLoopback_IsRefusedAndNoSignInStarts()
    {
        var (org, owner) = await guarded.NewOrganizationAsync();
        await guarded.SsoConfigureAsync(org.Uid, owner, OidcSettings(idps));
        using var browser = new SsoBrowser(guarded);

        using var response = await browser.App.GetAsync($"/sso/{org.Uid}/oidc/start");

        SsoRefused(response);
        Assert.Equal(0, await guarded.WithDbAsync(db => Task.FromResult(db.SsoLoginRequests.Count())));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.0.9")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    [InlineData("2002:a9fe:a9fe::1")]
    [InlineData("ff02::1")]
    public void S32_InternalAddress_IsRefused(string address) => Assert.True(SsoOutbound.IsRefused(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700:4700::1111")]
    public void PublicAddress_IsAllowed(string address) => Assert.False(SsoOutbound.IsRefused(IPAddress.Parse(address)));
}
