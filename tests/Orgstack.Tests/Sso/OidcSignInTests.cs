using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Members;
using Orgstack.Tests.Support;
using static Orgstack.Tests.Support.SsoScenario;

namespace Orgstack.Tests.Sso;

/// <summary>Sign-in through a real OpenID Provider (oidc-provider 9.13.3 on 127.0.0.1).</summary>
public sealed class OidcSignInTests(SsoIdpFixture idps) : IClassFixture<SsoIdpFixture>, IAsyncLifetime
{
    private readonly SsoAppFactory app = new();

    public Task InitializeAsync() => idps.OidcModeAsync("none");

    public Task DisposeAsync()
    {
        app.Dispose();
        return Task.CompletedTask;
    }

    private async Task<HttpResponseMessage> SignInAsync(SsoBrowser browser, string orgUid, string login)
    {
        var authorize = await browser.StartAsync(orgUid, "oidc");
        var back = await browser.OidcLoginAsync(authorize, login);
        return await browser.BackToAppAsync(back);
    }

    [Fact]
    public async Task OidcSignIn_InvitedPerson_AcceptsInvitationLinksIdentityAndReachesOrganization()
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        var email = await app.InvitePersonAsync(org.Uid, owner);
        using var browser = new SsoBrowser(app);

        using var response = await SignInAsync(browser, org.Uid, email);

        var token = SsoSessionToken(response);
        Assert.True(await app.SsoLinkedAsync(org.Uid, email));
        var membership = await app.MembershipAsync(org.Uid, email);
        Assert.Equal(MembershipStatus.Accepted, membership!.Status);
        Assert.NotNull(membership.LastLoginAt);
        var api = app.Client();
        api.AuthToken = token;
        (await api.GetAsync($"/v3/organizations/{org.Uid}")).EnsureStatus(HttpStatusCode.OK);
        Assert.True(await app.AuditedAsync(org.Uid, "sign_in", email));
        Assert.True(await app.AuditedAsync(org.Uid, "accept_invitation", email));
        var session = await app.WithDbAsync(db => db.Sessions.SingleAsync(s => s.Method == "sso"));
        Assert.Equal(org.Uid, session.SsoOrganizationUid);
    }

    [Fact]
    public async Task OidcSignIn_SecondTime_UsesTheLinkAndMarksConfigurationTested()
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        var email = await app.InvitePersonAsync(org.Uid, owner);
        using (var first = new SsoBrowser(app)) SsoSessionToken(await SignInAsync(first, org.Uid, email));
        using var second = new SsoBrowser(app);

        SsoSessionToken(await SignInAsync(second, org.Uid, email));

        Assert.Equal(2, await app.SsoSessionCountAsync());
        Assert.NotNull(await app.WithDbAsync(db => db.SsoConfigurations.Where(c => c.OrganizationUid == org.Uid).Select(c => c.TestedAt).SingleAsync()));
    }

    [Fact]
    public async Task OidcSignIn_PersonNotInvited_IsRefusedWithoutSession()
    {
        var (org, _) = await app.OidcOrganizationAsync(idps);
        using var browser = new SsoBrowser(app);

        SsoRefused(await SignInAsync(browser, org.Uid, MembersScenario.Unique("stranger")));

        Assert.Equal(0, await app.SsoSessionCountAsync());
        Assert.True(await app.AuditedAsync(org.Uid, "sign_in_refused"));
    }

    [Fact]
    public async Task OidcSignIn_LockedAccount_IsRefused()
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        var email = await app.InvitePersonAsync(org.Uid, owner);
        using (var first = new SsoBrowser(app)) SsoSessionToken(await SignInAsync(first, org.Uid, email));
        await app.WithDbAsync(db => db.Users.Where(u => u.Email == email).ExecuteUpdateAsync(u => u.SetProperty(x => x.LockedAt, DateTimeOffset.UtcNow)));
        using var browser = new SsoBrowser(app);

        SsoRefused(await SignInAsync(browser, org.Uid, email));

        Assert.Equal(1, await app.SsoSessionCountAsync());
    }

    // O1/O13/O23: the ID token carries no email; UserInfo (Bearer access token) supplies it, for the same sub.
    [Fact]
    public async Task OidcSignIn_IdTokenWithoutEmail_ReadsUserInfoAndLinksInvitation()
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        var email = await app.InvitePersonAsync(org.Uid, owner);
        await idps.OidcModeAsync("no-email");
        using var browser = new SsoBrowser(app);

        SsoSessionToken(await SignInAsync(browser, org.Uid, email));

        Assert.True(await app.SsoLinkedAsync(org.Uid, email));
    }

    [Fact]
    public async Task OidcSignIn_KidAbsentWithSingleKey_IsAccepted()
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        var email = await app.InvitePersonAsync(org.Uid, owner);
        await idps.OidcModeAsync("kid-absent");
        using var browser = new SsoBrowser(app);

        SsoSessionToken(await SignInAsync(browser, org.Uid, email));
    }

    // O7: no kid and several keys in the JWKS: each published key is tried (the suite allows this or a rejection).
    [Fact]
    public async Task OidcSignIn_KidAbsentWithSeveralKeysPublished_TriesEachKeyAndSucceeds()
    {
        await idps.OidcControlAsync("second-key", new { });
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        var email = await app.InvitePersonAsync(org.Uid, owner);
        using var browser = new SsoBrowser(app);
        var back = await browser.OidcLoginAsync(await browser.StartAsync(org.Uid, "oidc"), email);
        await idps.OidcModeAsync("kid-absent");

        SsoSessionToken(await browser.BackToAppAsync(back));
    }

    [Fact]
    public async Task OidcSignIn_AfterSigningKeyRotation_RefetchesKeysAndSucceeds()
    {
        var (org, owner) = await app.OidcOrganizationAsync(idps);
        var email = await app.InvitePersonAsync(org.Uid, owner);
        using (var first = new SsoBrowser(app)) SsoSessionToken(await SignInAsync(first, org.Uid, email));
        await idps.OidcControlAsync("rotate", new { });
        await Task.Delay(1100);
        await idps.OidcControlAsync("redirect", new { uri = $"{SsoBrowser.PublicBaseUrl}/sso/{org.Uid}/oidc/callback" });
        using var second = new SsoBrowser(app);

        SsoSessionToken(await SignInAsync(second, org.Uid, email));
    }
}
