using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Orgstack.Core.Members;
using Orgstack.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Orgstack.Tests.Console;

/// <summary>
/// Single sign-on in real Chromium against the real local IdPs: the settings page (connect OIDC, test, turn on, domains),
/// "Sign in with single sign-on", "Allow access without SSO" on Invite and Edit user, and SAML from another site over
/// plain http. Each test leaves a screenshot.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SsoBrowserTests(Browser browser, SsoIdpFixture idps) : IClassFixture<SsoIdpFixture>, IAsyncLifetime
{
    private KestrelApp app = null!;

    private static KestrelApp Start(string host) => new(new Dictionary<string, string?>
    {
        ["Orgstack:PublicBaseUrl"] = $"http://{host}:{{port}}",
        ["Orgstack:Sso:RequireHttps"] = "false",
        ["Orgstack:Sso:AllowLocalIdp"] = "true",
    });

    public async Task InitializeAsync()
    {
        app = Start("127.0.0.1");
        await idps.OidcModeAsync("none");
    }

    public Task DisposeAsync()
    {
        app.Dispose();
        return Task.CompletedTask;
    }

    private static async Task<BrowserSession> OfflineAsync(BrowserSession session)
    {
        // The OP's dev pages import a web font; this machine has no internet.
        await session.Context.RouteAsync("**/fonts.googleapis.com/**", route => route.AbortAsync());
        return session;
    }

    /// <summary>oidc-provider's dev login and consent pages, as a person would click through them.</summary>
    private static async Task OpSignInAsync(IPage page, string login)
    {
        await page.Locator("input[name=login]").FillAsync(login);
        await page.Locator("input[name=password]").FillAsync("any password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign-in" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
    }

    [Fact]
    public async Task SsoSettings_OwnerConnectsOidcTestsItAndTurnsItOn_ThenAMemberSignsInWithSsoByEmail()
    {
        var org = await app.CreateOrganizationAsync("Acme SSO", "owner@acme-sso.test");
        var owner = await app.ActorAsync("owner@acme-sso.test");
        await app.InviteAsync(org.Uid, owner, MembersScenario.Invitee("mia@acme-sso.test"));
        await idps.OidcControlAsync("redirect", new { uri = $"{app.BaseUrl}/sso/{org.Uid}/oidc/callback" });

        await using (var session = await OfflineAsync(await browser.OpenAsync(app, this)))
        {
            var page = session.Page;
            await session.SignInAsync("owner@acme-sso.test");
            await page.GotoAsync($"/o/{org.Uid}");
            await page.GetByRole(AriaRole.Link, new() { Name = "Single sign-on" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Single sign-on", Exact = true })).ToBeVisibleAsync();
            await Expect(page.Locator("#sso-state")).ToHaveTextAsync("Not set up");

            await page.Locator("#protocol-oidc").CheckAsync();
            await page.GetByLabel("Issuer URL").FillAsync(idps.Oidc.BaseUrl);
            await page.GetByLabel("Client ID").FillAsync(SsoIdpFixture.ClientId);
            await page.GetByLabel("Client secret").FillAsync(SsoIdpFixture.ClientSecret);
            await page.GetByRole(AriaRole.Button, new() { Name = "Save identity provider" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("Identity provider settings saved");
            await Expect(page.GetByLabel("Redirect URI")).ToHaveValueAsync($"{app.BaseUrl}/sso/{org.Uid}/oidc/callback");
            Assert.Contains("?saved=connection", page.Url);

            // Turning it on before a test is refused, with the reason.
            await page.GetByRole(AriaRole.Button, new() { Name = "Turn single sign-on on" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("test");
            await Expect(page.Locator("#protocol-oidc")).ToBeCheckedAsync();
            await Expect(page.GetByLabel("Issuer URL")).ToHaveValueAsync(idps.Oidc.BaseUrl);
            await session.SnapshotAsync("1-connected");

            await page.GetByRole(AriaRole.Link, new() { Name = "Test connection" }).ClickAsync();
            await OpSignInAsync(page, "owner@acme-sso.test");
            await Expect(page).ToHaveURLAsync($"{app.BaseUrl}/o/{org.Uid}/sso?saved=tested", new() { Timeout = 45_000 });
            await Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("The test sign-in worked");

            await page.GetByRole(AriaRole.Button, new() { Name = "Turn single sign-on on" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("Single sign-on is on");
            await Expect(page.Locator("#sso-state")).ToHaveTextAsync("On");

            await page.GetByLabel("Email domains", new() { Exact = true }).FillAsync("acme-sso.test");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save domains" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("Email domains saved");
        }

        await using var member = await OfflineAsync(await browser.OpenAsync(app, this, "SsoSignIn_MemberByEmail"));
        await member.Page.GotoAsync("/sign-in");
        await member.Page.GetByRole(AriaRole.Link, new() { Name = "Sign in with single sign-on" }).ClickAsync();
        await member.Page.GetByLabel("Work email or organization ID").FillAsync("mia@acme-sso.test");
        await member.Page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await OpSignInAsync(member.Page, "mia@acme-sso.test");
        await Expect(member.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("^" + System.Text.RegularExpressions.Regex.Escape(app.BaseUrl) + "/"), new() { Timeout = 45_000 });
        await member.Page.Locator("summary.user-button").ClickAsync();
        await Expect(member.Page.Locator(".menu-identity")).ToContainTextAsync("mia@acme-sso.test");

        var mia = (await app.MembershipAsync(org.Uid, "mia@acme-sso.test"))!;
        Assert.Equal(MembershipStatus.Accepted, mia.Status);
        Assert.Equal(1, await app.WithDbAsync(db => db.Sessions.CountAsync(s => s.Method == "sso" && s.SsoOrganizationUid == org.Uid && s.UserUid == mia.UserUid)));
    }

    [Fact]
    public async Task SignInWithSso_UnknownAddress_GivesTheSameAnswerAsAnyOtherMiss()
    {
        await using var session = await browser.OpenAsync(app, this);
        var answers = new List<string>();
        foreach (var identifier in new[] { "nobody@unknown-domain.test", "blt0123456789abcdef", "not an address" })
        {
            await session.Page.GotoAsync("/sign-in/sso");
            await session.Page.GetByLabel("Work email or organization ID").FillAsync(identifier);
            await session.Page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
            answers.Add(await session.Page.GetByRole(AriaRole.Alert).InnerTextAsync());
        }
        Assert.Single(answers.Distinct());
    }

    [Fact]
    public async Task AllowAccessWithoutSso_OnInviteAndEditUser_OnlyForSsoOrganizationsWithoutStrictMode()
    {
        var org = await app.CreateOrganizationAsync("Acme Flags", "owner@flags.test");
        var owner = await app.ActorAsync("owner@flags.test");
        await app.SsoConfigureAsync(org.Uid, owner, SsoScenario.OidcSettings(idps));
        var plain = await app.CreateOrganizationAsync("No SSO Inc", "owner2@flags.test");
        await using var session = await browser.OpenAsync(app, this);
        var page = session.Page;
        await session.SignInAsync("owner@flags.test");

        await page.GotoAsync($"/o/{org.Uid}/users/invite");
        await page.GetByLabel("Email addresses").FillAsync("contractor@flags.test");
        await page.Locator("#role-member").CheckAsync();
        await page.GetByLabel("Allow access without SSO").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Send invitations" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("1 of 1 address invited");
        var invited = (await app.MembershipAsync(org.Uid, "contractor@flags.test"))!;
        Assert.True(invited.AccessWithoutSso);

        await page.GotoAsync($"/o/{org.Uid}/users/{invited.Uid}");
        var flag = page.GetByLabel("Allow access without SSO");
        await Expect(flag).ToBeCheckedAsync();
        await flag.UncheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save single sign-on access" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("must now sign in through single sign-on");
        Assert.Contains("result=", page.Url);
        Assert.False((await app.MembershipAsync(org.Uid, "contractor@flags.test"))!.AccessWithoutSso);
        await session.SnapshotAsync("1-edit-user");

        await app.WithDbAsync(db => db.SsoConfigurations.Where(c => c.OrganizationUid == org.Uid).ExecuteUpdateAsync(u => u.SetProperty(c => c.Strict, true)));
        await page.GotoAsync($"/o/{org.Uid}/users/invite");
        await Expect(page.GetByLabel("Email addresses")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Allow access without SSO")).ToHaveCountAsync(0);

        var owner2 = await app.ActorAsync("owner2@flags.test");
        await using var other = await browser.OpenAsync(app, this, "AllowAccessWithoutSso_NotOfferedWithoutSso");
        await other.SignInAsync("owner2@flags.test");
        await other.Page.GotoAsync($"/o/{plain.Uid}/users/invite");
        await Expect(other.Page.GetByLabel("Email addresses")).ToBeVisibleAsync();
        await Expect(other.Page.GetByLabel("Allow access without SSO")).ToHaveCountAsync(0);
        Assert.NotNull(owner2);
    }

    [Fact]
    public async Task SamlSignIn_IdpOnAnotherSiteOverPlainHttp_CompletesThroughOneRepost()
    {
        app.Dispose();
        app = Start("localhost");
        var port = new Uri(app.BaseUrl).Port;
        var site = $"http://localhost:{port}";
        var org = await app.CreateOrganizationAsync("Acme SAML", "owner@saml.test");
        var owner = await app.ActorAsync("owner@saml.test");
        var view = await app.SsoConfigureAsync(org.Uid, owner, SsoScenario.SamlSettings(idps));
        await idps.SamlSpAsync(view.SpEntityId, view.SpAcsUrl);
        // The samlify IdP signs in alice@example.test unless told otherwise.
        await app.InviteAsync(org.Uid, owner, MembersScenario.Invitee("alice@example.test"));
        await using var session = await browser.OpenAsync(app, this);
        var acsPosts = 0;
        session.Page.Request += (_, request) => { if (request.Method == "POST" && request.Url.EndsWith("/saml/acs", StringComparison.Ordinal)) acsPosts++; };

        await session.Page.GotoAsync($"{site}/sso/{org.Uid}/saml/start");
        await session.Page.Locator("summary.user-button").ClickAsync();
        await Expect(session.Page.Locator(".menu-identity")).ToContainTextAsync("alice@example.test");
        Assert.StartsWith(site + "/", session.Page.Url);

        Assert.Equal(2, acsPosts);
        Assert.Equal(MembershipStatus.Accepted, (await app.MembershipAsync(org.Uid, "alice@example.test"))!.Status);
        Assert.Equal(1, await app.WithDbAsync(db => db.Sessions.CountAsync(s => s.Method == "sso" && s.SsoOrganizationUid == org.Uid)));
    }
}
