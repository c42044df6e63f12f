using System.Net;
using Orgstack.Core.Members;
using Orgstack.Tests.Support;
using static Orgstack.Tests.Support.SsoScenario;

namespace Orgstack.Tests.Sso;

/// <summary>
/// The OIDC negative suite (security-tests.md (b), O-numbers): the local OP tampers with the ID token, or the test
/// tampers with the callback. Each case must end on the generic failure page with no session and no link.
/// </summary>
public sealed class OidcAttackTests(SsoIdpFixture idps) : IClassFixture<SsoIdpFixture>, IAsyncLifetime
{
    private readonly SsoAppFactory app = new();

    public Task InitializeAsync() => idps.OidcModeAsync("none");

    public async Task DisposeAsync()
    {
        await idps.OidcModeAsync("none");
        app.Dispose();
    }

    /// <summary>An invited person signs in while the OP tampers with the ID token in the given way.</summary>
    private async Task RefusedWithTokenModeAsync(string mode)
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        var email = await app.InvitePersonAsync(org.Uid, owner);
        using var browser = new SsoBrowser(app);
        var authorize = await browser.StartAsync(org.Uid, "oidc");
        var back = await browser.OidcLoginAsync(authorize, email);
        await idps.OidcModeAsync(mode);

        using var response = await browser.BackToAppAsync(back);

        SsoRefused(response);
        await AssertNothingHappenedAsync(org.Uid, email);
    }

    private async Task AssertNothingHappenedAsync(string orgUid, string email)
    {
        Assert.Equal(0, await app.SsoSessionCountAsync());
        Assert.False(await app.SsoLinkedAsync(orgUid, email));
        Assert.Equal(MembershipStatus.Pending, (await app.MembershipAsync(orgUid, email))!.Status);
        Assert.True(await app.AuditedAsync(orgUid, "sign_in_refused"));
    }

    [Fact] public Task O2_InvalidIssuer_IsRejected() => RefusedWithTokenModeAsync("invalid-iss");
    [Fact] public Task O3_MissingSub_IsRejected() => RefusedWithTokenModeAsync("missing-sub");
    [Fact] public Task O4_InvalidAudience_IsRejected() => RefusedWithTokenModeAsync("invalid-aud");
    [Fact] public Task O5_MissingIat_IsRejected() => RefusedWithTokenModeAsync("missing-iat");
    [Fact] public Task O9_AlgNone_IsRejected() => RefusedWithTokenModeAsync("alg-none");
    [Fact] public Task O10_InvalidSignature_IsRejected() => RefusedWithTokenModeAsync("invalid-sig");
    [Fact] public Task O12_WrongNonce_IsRejected() => RefusedWithTokenModeAsync("nonce-invalid");
    [Fact] public Task O12_MissingNonce_IsRejected() => RefusedWithTokenModeAsync("missing-nonce");
    [Fact] public Task O20_MissingAudience_IsRejected() => RefusedWithTokenModeAsync("missing-aud");
    [Fact] public Task O21_Hs256SignedWithClientSecret_IsRejected() => RefusedWithTokenModeAsync("hs256-client-secret");
    [Fact] public Task O37_AudienceArrayWithoutAzp_IsRejected() => RefusedWithTokenModeAsync("aud-array-no-azp");
    [Fact] public Task O37_AudienceArrayWithWrongAzp_IsRejected() => RefusedWithTokenModeAsync("aud-array-wrong-azp");
    [Fact] public Task O38_ExpiredToken_IsRejected() => RefusedWithTokenModeAsync("expired");
    [Fact] public Task O38_IatFarInTheFuture_IsRejected() => RefusedWithTokenModeAsync("iat-future");
    [Fact] public Task O39_Hs256KeyedWithPublicKey_IsRejected() => RefusedWithTokenModeAsync("hs256-confusion");
    [Fact] public Task O40_UnknownKid_IsRejectedAfterOneRefetch() => RefusedWithTokenModeAsync("unknown-kid");
    [Fact] public Task O15_StrangerKeyWithKnownKid_IsRejected() => RefusedWithTokenModeAsync("stranger-same-kid");
    [Fact] public Task O41_EmailNotVerified_NeverLinksInvitation() => RefusedWithTokenModeAsync("email-unverified");
    [Fact] public Task O41_UserInfoEmailNotVerified_NeverLinksInvitation() => RefusedWithTokenModeAsync("userinfo-unverified");
    [Fact] public Task O11_UserInfoSubDiffersFromIdTokenSub_IsRejected() => RefusedWithTokenModeAsync("userinfo-bad-sub");
    [Fact] public Task O22_Es256SignatureByStrangerKey_IsRejected() => RefusedWithTokenModeAsync("es256-stranger");

    /// <summary>Signs in at the OP and returns the callback URL, for tests that tamper with it.</summary>
    private async Task<(string OrgUid, string Email, SsoBrowser Browser, Uri Back)> AtCallbackAsync()
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        var email = await app.InvitePersonAsync(org.Uid, owner);
        var browser = new SsoBrowser(app);
        var authorize = await browser.StartAsync(org.Uid, "oidc");
        return (org.Uid, email, browser, await browser.OidcLoginAsync(authorize, email));
    }

    private static Uri WithQuery(Uri url, string name, string? value)
    {
        var query = System.Web.HttpUtility.ParseQueryString(url.Query);
        if (value is null) query.Remove(name); else query[name] = value;
        return new UriBuilder(url) { Query = query.ToString() }.Uri;
    }

    [Fact]
    public async Task O32_MissingState_IsRejected()
    {
        var (org, email, browser, back) = await AtCallbackAsync();
        using (browser) SsoRefused(await browser.BackToAppAsync(WithQuery(back, "state", null)));
        await AssertNothingHappenedAsync(org, email);
    }

    [Fact]
    public async Task O32_WrongState_IsRejected()
    {
        var (org, email, browser, back) = await AtCallbackAsync();
        using (browser) SsoRefused(await browser.BackToAppAsync(WithQuery(back, "state", "forged-state-value")));
        await AssertNothingHappenedAsync(org, email);
    }

    [Fact]
    public async Task O34_CallbackDeliveredToAnotherBrowser_IsRejected()
    {
        var (org, email, browser, back) = await AtCallbackAsync();
        using var victim = new SsoBrowser(app);
        using (browser) SsoRefused(await victim.BackToAppAsync(back));
        await AssertNothingHappenedAsync(org, email);
    }

    [Fact]
    public async Task O35_CallbackReplayed_SecondUseIsRejected()
    {
        var (org, _, browser, back) = await AtCallbackAsync();
        using (browser)
        {
            SsoSessionToken(await browser.BackToAppAsync(back));
            SsoRefused(await browser.BackToAppAsync(back));
        }
        Assert.Equal(1, await app.SsoSessionCountAsync());
        Assert.True(await app.AuditedAsync(org, "sign_in_refused"));
    }

    [Fact]
    public async Task O36_IssParameterOfAnotherIssuer_IsRejected()
    {
        var (org, email, browser, back) = await AtCallbackAsync();
        Assert.Contains("iss=", back.Query);
        using (browser) SsoRefused(await browser.BackToAppAsync(WithQuery(back, "iss", "http://127.0.0.1:1/other-op")));
        await AssertNothingHappenedAsync(org, email);
    }

    [Fact]
    public async Task O36_CallbackPostedToAnotherOrganization_IsRejected()
    {
        var (org, email, browser, back) = await AtCallbackAsync();
        var (other, _) = await app.OidcOrganizationAsync(idps);
        var redirected = new Uri(back.AbsoluteUri.Replace($"/sso/{org}/", $"/sso/{other.Uid}/", StringComparison.Ordinal));
        using (browser) SsoRefused(await browser.BackToAppAsync(redirected));
        Assert.Equal(0, await app.SsoSessionCountAsync());
        Assert.False(await app.SsoLinkedAsync(org, email));
    }

    [Fact]
    public async Task O43_UnsolicitedCallback_IsRejected()
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        var email = await app.InvitePersonAsync(org.Uid, owner);
        using var browser = new SsoBrowser(app);

        SsoRefused(await browser.App.GetAsync($"/sso/{org.Uid}/oidc/callback?code=abc&state=xyz"));

        await AssertNothingHappenedAsync(org.Uid, email);
    }

    [Fact]
    public async Task O44_ErrorResponseFromOp_IsRejected()
    {
        var (org, email, browser, back) = await AtCallbackAsync();
        var error = WithQuery(WithQuery(back, "code", null), "error", "access_denied");
        using (browser) SsoRefused(await browser.BackToAppAsync(error));
        await AssertNothingHappenedAsync(org, email);
    }

    [Fact]
    public async Task O17_DiscoveryIssuerMismatch_StartIsRefused()
    {
        var (org, _) = await app.OidcOrganizationAsync(idps);
        await idps.OidcModeAsync("discovery-issuer-mismatch");
        using var browser = new SsoBrowser(app);

        using var response = await browser.App.GetAsync($"/sso/{org.Uid}/oidc/start");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await app.SsoSessionCountAsync());
    }

    [Fact]
    public async Task O33_AuthorizationRequest_AlwaysCarriesPkceS256StateAndNonce()
    {
        var (org, _) = await app.OidcOrganizationAsync(idps);
        using var browser = new SsoBrowser(app);

        var authorize = await browser.StartAsync(org.Uid, "oidc");

        var query = System.Web.HttpUtility.ParseQueryString(authorize.Query);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal(43, query["code_challenge"]!.Length);
        Assert.True(query["state"]!.Length >= 40);
        Assert.True(query["nonce"]!.Length >= 40);
        Assert.Equal($"{SsoBrowser.PublicBaseUrl}/sso/{org.Uid}/oidc/callback", query["redirect_uri"]);
    }
}
