using System.Net;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Members;
using Orgstack.Tests.Support;
using static Orgstack.Tests.Support.SsoScenario;

namespace Orgstack.Tests.Sso;

/// <summary>Sign-in through a real SAML IdP (samlify 2.13.1 on 127.0.0.1), and the accepted shapes of hand-built responses.</summary>
public sealed class SamlSignInTests(SsoIdpFixture idps) : IClassFixture<SsoIdpFixture>, IDisposable
{
    private readonly SsoAppFactory app = new();

    public void Dispose() => app.Dispose();

    [Fact]
    public async Task SamlSignIn_InvitedPersonThroughSamlify_AcceptsInvitationAndReachesOrganization()
    {
        var (org, owner) = await app.SamlOrganizationAsync(idps);
        var email = await app.InvitePersonAsync(org.Uid, owner);
        using var browser = new SsoBrowser(app);
        var idpUrl = await browser.StartAsync(org.Uid, "saml");
        var samlResponse = await browser.SamlIdpResponseAsync(idpUrl, email);

        using var response = await browser.PostAcsAsync(org.Uid, samlResponse);

        var token = SsoSessionToken(response);
        Assert.True(await app.SsoLinkedAsync(org.Uid, email));
        Assert.Equal(MembershipStatus.Accepted, (await app.MembershipAsync(org.Uid, email))!.Status);
        var api = app.Client();
        api.AuthToken = token;
        (await api.GetAsync($"/v3/organizations/{org.Uid}")).EnsureStatus(HttpStatusCode.OK);
        Assert.True(await app.AuditedAsync(org.Uid, "sign_in", email));
    }

    [Fact]
    public async Task SamlMetadata_PublishesEntityIdAndAcs()
    {
        var (org, _) = await app.SamlOrganizationAsync(idps);
        using var browser = new SsoBrowser(app);

        using var response = await browser.App.GetAsync($"/sso/{org.Uid}/saml/metadata");

        var xml = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"entityID=\"http://orgstack.test/sso/{org.Uid}/saml/metadata\"", xml);
        Assert.Contains($"Location=\"http://orgstack.test/sso/{org.Uid}/saml/acs\"", xml);
    }

    private async Task<HttpResponseMessage> HandBuiltAsync(string sign, Func<string, string, object>? options = null, bool rollover = false)
    {
        var (org, owner) = await app.SamlOrganizationAsync(idps);
        if (rollover)
            await app.SsoConfigureAsync(org.Uid, owner, SamlSettings(idps) with { SamlIdpCertificates = [idps.Keys.OtherCertificatePem, idps.Keys.IdpCertificatePem] });
        var email = await app.InvitePersonAsync(org.Uid, owner);
        using var browser = new SsoBrowser(app);
        var requestId = SsoBrowser.RequestIdOf(await browser.StartAsync(org.Uid, "saml"));
        var xml = await idps.SamlResponseXmlAsync(options?.Invoke(requestId, email) ?? new { inResponseTo = requestId, nameId = email, sign });
        return await browser.PostAcsXmlAsync(org.Uid, xml);
    }

    [Fact]
    public async Task SamlSignIn_AssertionSigned_IsAccepted() => SsoSessionToken(await HandBuiltAsync("assertion"));

    [Fact]
    public async Task SamlSignIn_ResponseSignedOnly_IsAccepted() => SsoSessionToken(await HandBuiltAsync("response"));

    [Fact]
    public async Task SamlSignIn_ResponseAndAssertionSigned_IsAccepted() => SsoSessionToken(await HandBuiltAsync("both"));

    [Fact]
    public async Task SamlSignIn_CertificateRollover_SecondConfiguredCertificateIsAccepted() =>
        SsoSessionToken(await HandBuiltAsync("assertion", rollover: true));

    [Fact]
    public async Task SamlSignIn_NameIdIsNotAnEmailButEmailAttributeIsAbsent_IsRefused()
    {
        SsoRefused(await HandBuiltAsync("assertion", (id, _) => new { inResponseTo = id, nameId = "opaque-subject-123" }));
        Assert.Equal(0, await app.SsoSessionCountAsync());
    }
}
