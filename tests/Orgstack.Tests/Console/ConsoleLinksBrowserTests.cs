using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Orgstack.Core.Accounts;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Core.Security;
using Orgstack.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Orgstack.Tests.Console;

/// <summary>
/// Sign-in steps (second factor, lockout, forced reset) and the pages behind emailed links, in real Chromium against
/// the real server. Each test leaves a screenshot of its final page.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleLinksBrowserTests(Browser browser, KestrelApp app) : IClassFixture<KestrelApp>
{
    [Fact]
    public async Task SigningIn_WithTwoFactor_AsksForTheCode_RefusesAWrongOne_AndSignsInWithTheRightOne()
    {
        var org = await app.CreateOrganizationAsync("Acme MFA", "owner-mfa@example.test");
        var (secret, _) = await app.LinksEnableTotpAsync("owner-mfa@example.test");
        await using var session = await browser.OpenAsync(app, this);

        await session.Page.GotoAsync("/sign-in");
        await session.Page.GetByLabel("Email").FillAsync("owner-mfa@example.test");
        await session.Page.GetByLabel("Password", new() { Exact = true }).FillAsync(Scenario.Password);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "Two-step verification" })).ToBeVisibleAsync();
        // The password is not in the page: the next step carries it sealed.
        Assert.DoesNotContain(Scenario.Password, await session.Page.ContentAsync());
        var wrong = ConsoleLinksScenario.LinksCurrentCode(secret) == "000000" ? "111111" : "000000";
        await session.Page.GetByLabel("Verification code").FillAsync(wrong);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Verify and sign in" }).ClickAsync();
        await Expect(session.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("That code did not work");
        await session.SnapshotAsync("1-wrong-code");

        await session.Page.GetByLabel("Verification code").FillAsync(ConsoleLinksScenario.LinksCurrentCode(secret));
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Verify and sign in" }).ClickAsync();
        await Expect(session.Page).ToHaveURLAsync($"{app.BaseUrl}/o/{org.Uid}");
        await Expect(session.Page.Locator(".topbar")).ToContainTextAsync("Acme MFA");
    }

    [Fact]
    public async Task SigningIn_WithARecoveryCode_SignsIn_AndTheCodeIsUsedUp()
    {
        var org = await app.CreateOrganizationAsync("Acme Recovery", "owner-recovery@example.test");
        var (_, codes) = await app.LinksEnableTotpAsync("owner-recovery@example.test");
        await using var session = await browser.OpenAsync(app, this);

        await session.Page.GotoAsync("/sign-in");
        await session.Page.GetByLabel("Email").FillAsync("owner-recovery@example.test");
        await session.Page.GetByLabel("Password", new() { Exact = true }).FillAsync(Scenario.Password);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await session.Page.GetByLabel("Verification code").FillAsync(codes[3]);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Verify and sign in" }).ClickAsync();

        await Expect(session.Page).ToHaveURLAsync($"{app.BaseUrl}/o/{org.Uid}");
        var used = await app.WithDbAsync(db => db.RecoveryCodes.CountAsync(r => r.UsedAt != null && db.Users.Any(u => u.Uid == r.UserUid && u.Email == "owner-recovery@example.test")));
        Assert.Equal(1, used);
    }

    [Fact]
    public async Task EnrollingTwoFactor_InAccountSecurity_ShowsTheQrCode_ThenTenRecoveryCodesOnce()
    {
        await app.CreateOrganizationAsync("Acme Enrol", "owner-enrol@example.test");
        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-enrol@example.test");

        await session.Page.Locator("summary.user-button").ClickAsync();
        await session.Page.GetByRole(AriaRole.Link, new() { Name = "Account security" }).ClickAsync();
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Set up two-step verification" }).ClickAsync();

        var qr = session.Page.GetByRole(AriaRole.Img, new() { Name = "QR code to add Orgstack (owner-enrol@example.test) to your authenticator app" });
        await Expect(qr).ToBeVisibleAsync();
        Assert.StartsWith("data:image/svg+xml;base64,", await qr.GetAttributeAsync("src"));
        var key = (await session.Page.GetByLabel("Can't scan it? Enter this key instead").InputValueAsync()).Replace(" ", "", StringComparison.Ordinal);
        var secret = Base32.Decode(key)!;
        await session.SnapshotAsync("1-qr");

        await session.Page.GetByLabel("Verification code").FillAsync(ConsoleLinksScenario.LinksCurrentCode(secret));
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Turn on two-step verification" }).ClickAsync();

        await Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "Save your recovery codes" })).ToBeVisibleAsync();
        await Expect(session.Page.Locator("#recovery-codes li")).ToHaveCountAsync(10);
        Assert.True((await app.UserAsync("owner-enrol@example.test")).TotpEnabled);
        await session.SnapshotAsync("2-codes");

        // The codes are gone on reload; the page now offers to turn the factor off.
        await session.Page.GotoAsync("/account/security");
        await Expect(session.Page.Locator("#recovery-codes")).ToHaveCountAsync(0);
        await Expect(session.Page.GetByRole(AriaRole.Button, new() { Name = "Turn off two-step verification" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task LockedAccount_GetsTheSameMessageAsAnUnknownAddress()
    {
        await app.CreateOrganizationAsync("Acme Locked", "owner-locked@example.test");
        await app.LinksUpdateUserAsync("owner-locked@example.test", u => { u.LockedAt = DateTimeOffset.UtcNow; u.FailedAttempts = 5; });
        await using var session = await browser.OpenAsync(app, this);

        await session.Page.GotoAsync("/sign-in");
        await session.Page.GetByLabel("Email").FillAsync("nobody-here@example.test");
        await session.Page.GetByLabel("Password", new() { Exact = true }).FillAsync(Scenario.Password);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        var unknown = await session.Page.GetByRole(AriaRole.Alert).InnerTextAsync();

        await session.Page.GetByLabel("Email").FillAsync("owner-locked@example.test");
        await session.Page.GetByLabel("Password", new() { Exact = true }).FillAsync(Scenario.Password);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(session.Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync(unknown);
        Assert.Contains("email or password is invalid", unknown, StringComparison.Ordinal);
        await Expect(session.Page).ToHaveURLAsync(app.BaseUrl + "/sign-in");
    }

    [Fact]
    public async Task ForcedPasswordReset_RightPassword_ExplainsToUseTheEmailedLink()
    {
        var org = await app.CreateOrganizationAsync("Acme Forced", "owner-forced@example.test");
        var owner = await app.ActorAsync("owner-forced@example.test");
        await app.Member(org.Uid, "forced-member@example.test").AddAsync();
        var forced = await app.RunAsync<ForcePasswordReset, MemberActionResult[]>(u =>
            u.HandleAsync(new MembersRequest(org.Uid, ["forced-member@example.test"]), owner, CancellationToken.None));
        Assert.True(forced.IsSuccess, forced.Error?.Message);
        await using var session = await browser.OpenAsync(app, this);

        await session.Page.GotoAsync("/sign-in");
        await session.Page.GetByLabel("Email").FillAsync("forced-member@example.test");
        await session.Page.GetByLabel("Password", new() { Exact = true }).FillAsync(Scenario.Password);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "Set a new password" })).ToBeVisibleAsync();
        await Expect(session.Page.GetByText("We have emailed a reset link to")).ToContainTextAsync("forced-member@example.test");
        Assert.DoesNotContain(await session.Context.CookiesAsync(), c => c.Name == "orgstack");
    }

    [Fact]
    public async Task ResettingPassword_FromTheEmailedLink_LetsTheUserSignInWithTheNewOne()
    {
        var org = await app.CreateOrganizationAsync("Acme Reset", "owner-reset@example.test");
        await using var session = await browser.OpenAsync(app, this);

        await session.Page.GotoAsync("/sign-in");
        await session.Page.GetByRole(AriaRole.Link, new() { Name = "Forgot password?" }).ClickAsync();
        await session.Page.GetByLabel("Email").FillAsync("owner-reset@example.test");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Send reset link" }).ClickAsync();
        await Expect(session.Page.GetByRole(AriaRole.Status)).ToContainTextAsync(ForgotPassword.Notice);

        // Another address gets the very same page.
        await session.Page.GotoAsync("/forgot-password");
        await session.Page.GetByLabel("Email").FillAsync("nobody-reset@example.test");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Send reset link" }).ClickAsync();
        await Expect(session.Page.GetByRole(AriaRole.Status)).ToContainTextAsync(ForgotPassword.Notice);

        var link = await app.LinksPathFromMailAsync("owner-reset@example.test", "password_reset");
        Assert.StartsWith("/reset-password?token=", link);
        var response = await session.Page.GotoAsync(link);
        Assert.Equal("no-referrer", await response!.HeaderValueAsync("referrer-policy"));
        await session.Page.GetByLabel("New password", new() { Exact = true }).FillAsync("Velvet-Harbor-Lantern-42");
        await session.Page.GetByLabel("Confirm new password").FillAsync("Velvet-Harbor-Lantern-99");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Set new password" }).ClickAsync();
        await Expect(session.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("do not match");

        await session.Page.GetByLabel("New password", new() { Exact = true }).FillAsync("Velvet-Harbor-Lantern-42");
        await session.Page.GetByLabel("Confirm new password").FillAsync("Velvet-Harbor-Lantern-42");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Set new password" }).ClickAsync();
        await Expect(session.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Your password has been changed");

        await session.SignInAsync("owner-reset@example.test", "Velvet-Harbor-Lantern-42");
        await Expect(session.Page).ToHaveURLAsync($"{app.BaseUrl}/o/{org.Uid}");

        // The link worked once.
        await session.Page.GotoAsync(link);
        await session.Page.GetByLabel("New password", new() { Exact = true }).FillAsync("Another-Harbor-Lantern-7");
        await session.Page.GetByLabel("Confirm new password").FillAsync("Another-Harbor-Lantern-7");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Set new password" }).ClickAsync();
        await Expect(session.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("invalid or has expired");
    }

    [Fact]
    public async Task Invitation_AcceptedFromTheEmailedLink_ByANewPerson_CreatesTheAccountAndOpensTheOrganization()
    {
        var org = await app.CreateOrganizationAsync("Acme Invites", "owner-invites@example.test");
        var owner = await app.ActorAsync("owner-invites@example.test");
        await app.InviteAsync(org.Uid, owner, MembersScenario.Invitee("newcomer@example.test", "admin"));
        var link = await app.LinksPathFromMailAsync("newcomer@example.test", "invitation");
        Assert.StartsWith("/invitations/accept?token=", link);
        await using var session = await browser.OpenAsync(app, this);

        await session.Page.GotoAsync(link);
        // Opening the link twice consumes nothing.
        await session.Page.ReloadAsync();
        await Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "Join Acme Invites" })).ToBeVisibleAsync();
        await Expect(session.Page.Locator(".offer")).ToContainTextAsync("newcomer@example.test");
        await Expect(session.Page.Locator(".offer")).ToContainTextAsync("Admin");
        await session.SnapshotAsync("1-landing");

        await session.Page.GetByLabel("First name").FillAsync("Nora");
        await session.Page.GetByLabel("Last name").FillAsync("Newcomer");
        await session.Page.GetByLabel("Choose a password").FillAsync("Quiet-Meadow-Compass-8");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Create account and join" }).ClickAsync();

        await Expect(session.Page).ToHaveURLAsync($"{app.BaseUrl}/o/{org.Uid}");
        await Expect(session.Page.Locator(".topbar")).ToContainTextAsync("Nora Newcomer");
        var membership = await app.MembershipAsync(org.Uid, "newcomer@example.test");
        Assert.Equal(MembershipStatus.Accepted, membership!.Status);
        Assert.Equal(OrgRole.Admin, membership.Role);
    }

    [Fact]
    public async Task Invitation_ForAnExistingAccount_IsAcceptedAfterSigningIn()
    {
        var org = await app.CreateOrganizationAsync("Acme Second", "owner-second@example.test");
        await app.CreateOrganizationAsync("Elsewhere", "existing-invitee@example.test");
        var owner = await app.ActorAsync("owner-second@example.test");
        await app.InviteAsync(org.Uid, owner, MembersScenario.Invitee("existing-invitee@example.test"));
        var link = await app.LinksPathFromMailAsync("existing-invitee@example.test", "invitation");
        await using var session = await browser.OpenAsync(app, this);

        await session.Page.GotoAsync(link);
        await session.Page.GetByRole(AriaRole.Link, new() { Name = "I already have an account: sign in to accept" }).ClickAsync();
        await session.Page.GetByLabel("Email").FillAsync("existing-invitee@example.test");
        await session.Page.GetByLabel("Password", new() { Exact = true }).FillAsync(Scenario.Password);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Accept and join Acme Second" }).ClickAsync();
        await Expect(session.Page).ToHaveURLAsync($"{app.BaseUrl}/o/{org.Uid}");
        Assert.Equal(MembershipStatus.Accepted, (await app.MembershipAsync(org.Uid, "existing-invitee@example.test"))!.Status);
    }

    [Fact]
    public async Task TransferringOwnership_EndToEnd_NomineeAcceptsFromTheLink_AndTheOldOwnerBecomesMember()
    {
        var org = await app.CreateOrganizationAsync("Acme Transfer", "owner-transfer@example.test");
        await app.Member(org.Uid, "nominee@example.test", OrgRole.Admin).AddAsync();
        await using (var owner = await browser.OpenAsync(app, this, "TransferringOwnership_EndToEnd.1-owner"))
        {
            await owner.SignInAsync("owner-transfer@example.test");
            await owner.Page.GotoAsync($"/o/{org.Uid}/organization");
            await owner.Page.GetByRole(AriaRole.Link, new() { Name = "Transfer ownership" }).ClickAsync();
            await owner.Page.GetByLabel("Email of the new Owner").FillAsync("nominee@example.test");
            await owner.Page.GetByRole(AriaRole.Button, new() { Name = "Send ownership offer" }).ClickAsync();
            await Expect(owner.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("We emailed the offer to nominee@example.test");
            await Expect(owner.Page.GetByRole(AriaRole.Heading, new() { Name = "Pending transfer" })).ToBeVisibleAsync();
        }

        var link = await app.LinksPathFromMailAsync("nominee@example.test", "ownership_transfer");
        Assert.StartsWith("/ownership/accept?token=", link);
        await using var session = await browser.OpenAsync(app, this);
        await session.Page.GotoAsync(link);
        await Expect(session.Page.GetByRole(AriaRole.Heading, new() { Name = "Become the Owner of Acme Transfer" })).ToBeVisibleAsync();
        await session.Page.GetByRole(AriaRole.Link, new() { Name = "Sign in as nominee@example.test to accept" }).ClickAsync();
        await session.Page.GetByLabel("Email").FillAsync("nominee@example.test");
        await session.Page.GetByLabel("Password", new() { Exact = true }).FillAsync(Scenario.Password);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Accept ownership of Acme Transfer" }).ClickAsync();

        await Expect(session.Page).ToHaveURLAsync($"{app.BaseUrl}/o/{org.Uid}");
        await session.Page.GotoAsync($"/o/{org.Uid}/organization");
        await Expect(session.Page.GetByRole(AriaRole.Link, new() { Name = "Transfer ownership" })).ToBeVisibleAsync();
        Assert.Equal(OrgRole.Owner, (await app.MembershipAsync(org.Uid, "nominee@example.test"))!.Role);
        Assert.Equal(OrgRole.Member, (await app.MembershipAsync(org.Uid, "owner-transfer@example.test"))!.Role);
    }

    [Fact]
    public async Task TransferPage_CancelsThePendingOffer_AndIsForbiddenToAnAdmin()
    {
        var org = await app.CreateOrganizationAsync("Acme Withdraw", "owner-withdraw@example.test");
        await app.Member(org.Uid, "admin-withdraw@example.test", OrgRole.Admin).AddAsync();
        await using (var admin = await browser.OpenAsync(app, this, "TransferPage_Cancel.1-admin"))
        {
            await admin.SignInAsync("admin-withdraw@example.test");
            var response = await admin.Page.GotoAsync($"/o/{org.Uid}/transfer");
            Assert.Equal(403, response!.Status);
        }

        await using var session = await browser.OpenAsync(app, this);
        await session.SignInAsync("owner-withdraw@example.test");
        await session.Page.GotoAsync($"/o/{org.Uid}/transfer");
        await session.Page.GetByLabel("Email of the new Owner").FillAsync("someone-new@example.test");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Send ownership offer" }).ClickAsync();
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Withdraw the offer" }).ClickAsync();
        await Expect(session.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("The offer was withdrawn");
        Assert.False(await app.WithDbAsync(db => db.OwnershipTransfers.AnyAsync(t => t.OrganizationUid == org.Uid && t.Status == TransferStatus.Pending)));
    }

    [Fact]
    public async Task MfaReset_FromTheEmailedLink_ClearsTheFactor_AndSignInLeadsToEnrolment()
    {
        var org = await app.CreateOrganizationAsync("Acme MfaReset", "owner-mfareset@example.test");
        await app.Member(org.Uid, "lost-phone@example.test").AddAsync();
        await app.LinksEnableTotpAsync("lost-phone@example.test");
        var owner = await app.ActorAsync("owner-mfareset@example.test");
        var reset = await app.RunAsync<ResetMemberMfa, MemberActionResult[]>(u =>
            u.HandleAsync(new MembersRequest(org.Uid, ["lost-phone@example.test"]), owner, CancellationToken.None));
        Assert.True(reset.IsSuccess, reset.Error?.Message);
        var link = await app.LinksPathFromMailAsync("lost-phone@example.test", "mfa_reset");
        Assert.StartsWith("/reset-mfa?token=", link);
        await using var session = await browser.OpenAsync(app, this);

        await session.Page.GotoAsync(link);
        await session.Page.GetByLabel("Password").FillAsync(Scenario.Password);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Remove my authenticator" }).ClickAsync();
        await Expect(session.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Two-step verification was removed");

        await session.Page.GetByLabel("Email").FillAsync("lost-phone@example.test");
        await session.Page.GetByLabel("Password", new() { Exact = true }).FillAsync(Scenario.Password);
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(session.Page).ToHaveURLAsync(app.BaseUrl + "/account/security");
        await Expect(session.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Set up your authenticator app again");

        // Any other page sends them back to enrolment until it is done.
        await session.Page.GotoAsync($"/o/{org.Uid}");
        await Expect(session.Page).ToHaveURLAsync(app.BaseUrl + "/account/security");
    }
}
