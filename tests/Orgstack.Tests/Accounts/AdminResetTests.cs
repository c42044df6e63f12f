using System.Net;
using Orgstack.Core.Accounts;
using Orgstack.Core.Organizations;
using Orgstack.Core.Security;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Accounts;

public sealed class AdminResetTests : IClassFixture<SecurityAppFactory>
{
    private readonly SecurityAppFactory app;

    public AdminResetTests(SecurityAppFactory app) => this.app = app;

    private async Task<(Organization Org, ApiClient Admin, Person Member, ApiClient MemberClient)> OrgWithMemberAsync(string prefix)
    {
        var owner = AccountsScenario.UniqueEmail(prefix + "-owner");
        var org = await app.CreateOrganizationAsync("Reset Co", owner);
        var admin = await app.Member(org.Uid, AccountsScenario.UniqueEmail(prefix + "-admin"), OrgRole.Admin).AddAsync();
        var member = await app.Member(org.Uid, AccountsScenario.UniqueEmail(prefix + "-member")).AddAsync();
        var adminClient = app.Client();
        await adminClient.LoginAsync(admin.Email, Scenario.Password);
        var memberClient = app.Client();
        await memberClient.LoginAsync(member.Email, Scenario.Password);
        return (org, adminClient, member, memberClient);
    }

    [Fact]
    public async Task ForcedReset_EndsSessions_BlocksSignIn_AndTheEmailedLinkSetsANewPassword()
    {
        var (org, admin, member, memberClient) = await OrgWithMemberAsync("forced");

        var result = await admin.PostAsync($"/v3/organizations/{org.Uid}/users/reset_password", new { users = new[] { member.Email } });

        Assert.Equal("done", result.EnsureStatus(HttpStatusCode.OK).Json["users"]![0]!["status"]!.GetValue<string>());
        (await memberClient.GetAsync("/v3/user")).EnsureError(HttpStatusCode.Unauthorized);
        var blocked = (await app.Client().SignInAsync(member.Email, Scenario.Password)).EnsureError(HttpStatusCode.Forbidden);
        Assert.Equal(160, blocked["error_code"]!.GetValue<int>());
        Assert.Null(blocked["user"]);
        Assert.Single(await app.AuditAsync("force_password_reset", member.UserUid));

        var token = await app.LatestTokenAsync(member.Email, "password_reset_forced");
        (await app.Client().PostAsync("/v3/user/reset_password", new { user = new { reset_password_token = token, password = "a brand new passphrase", password_confirmation = "a brand new passphrase" } }))
            .EnsureStatus(HttpStatusCode.OK);
        await app.Client().LoginAsync(member.Email, "a brand new passphrase");
        (await app.Client().SignInAsync(member.Email, Scenario.Password)).EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task ForcedReset_ByAdminOnTheOwner_IsRefusedForThatUser()
    {
        var owner = AccountsScenario.UniqueEmail("owner-target");
        var org = await app.CreateOrganizationAsync("Owner Co", owner);
        var admin = await app.Member(org.Uid, AccountsScenario.UniqueEmail("admin"), OrgRole.Admin).AddAsync();
        var client = app.Client();
        await client.LoginAsync(admin.Email, Scenario.Password);

        var result = await client.PostAsync($"/v3/organizations/{org.Uid}/users/reset_password", new { users = new[] { owner } });

        Assert.Equal("not_allowed", result.EnsureStatus(HttpStatusCode.OK).Json["users"]![0]!["status"]!.GetValue<string>());
        await app.Client().LoginAsync(owner, Scenario.Password);
    }

    [Fact]
    public async Task ForceSignOut_EndsEverySessionOfTheMember_AndIsAudited()
    {
        var (org, admin, member, memberClient) = await OrgWithMemberAsync("signout");
        var second = app.Client();
        await second.LoginAsync(member.Email, Scenario.Password);

        (await admin.PostAsync($"/v3/organizations/{org.Uid}/users/sign_out", new { users = new[] { member.UserUid } })).EnsureStatus(HttpStatusCode.OK);

        (await memberClient.GetAsync("/v3/user")).EnsureError(HttpStatusCode.Unauthorized);
        (await second.GetAsync("/v3/user")).EnsureError(HttpStatusCode.Unauthorized);
        (await admin.GetAsync("/v3/user")).EnsureStatus(HttpStatusCode.OK);
        Assert.Single(await app.AuditAsync("force_sign_out", member.UserUid));
    }

    [Fact]
    public async Task MfaReset_LinkWithPassword_ClearsTheFactor_EndsSessions_AndRequiresEnrolment()
    {
        var (org, admin, member, memberClient) = await OrgWithMemberAsync("mfa");
        var (secret, _) = await memberClient.EnrollTotpAsync(app.Clock);
        app.Clock.Advance(TimeSpan.FromSeconds(30));

        (await admin.PostAsync($"/v3/organizations/{org.Uid}/users/reset_mfa", new { users = new[] { member.Email } })).EnsureStatus(HttpStatusCode.OK);
        var token = await app.LatestTokenAsync(member.Email, "mfa_reset");
        (await app.Client().PostAsync("/v3/user/two_factor/reset", new { token, password = "not the password" })).EnsureError(HttpStatusCode.UnprocessableEntity);
        (await app.Client().PostAsync("/v3/user/two_factor/reset", new { token, password = Scenario.Password })).EnsureStatus(HttpStatusCode.OK);

        (await memberClient.GetAsync("/v3/user")).EnsureError(HttpStatusCode.Unauthorized);
        var user = await app.UserAsync(member.Email);
        Assert.False(user.TotpEnabled);
        Assert.True(user.MustEnrollMfa);
        Assert.Single(await app.AuditAsync("mfa_reset", member.UserUid));
        (await app.Client().PostAsync("/v3/user/two_factor/reset", new { token, password = Scenario.Password })).EnsureError(HttpStatusCode.UnprocessableEntity);

        var fresh = app.Client();
        await fresh.LoginAsync(member.Email, Scenario.Password);
        Assert.Equal(403, (int)(await fresh.GetAsync("/v3/organizations")).Status);
        await fresh.EnrollTotpAsync(app.Clock);
        (await fresh.GetAsync("/v3/organizations")).EnsureStatus(HttpStatusCode.OK);
        Assert.False((await app.UserAsync(member.Email)).MustEnrollMfa);
        _ = secret;
    }

    [Fact]
    public async Task MfaResetLink_ExpiresAfter15Minutes()
    {
        var (org, admin, member, memberClient) = await OrgWithMemberAsync("mfa-expiry");
        await memberClient.EnrollTotpAsync(app.Clock);
        (await admin.PostAsync($"/v3/organizations/{org.Uid}/users/reset_mfa", new { users = new[] { member.UserUid } })).EnsureStatus(HttpStatusCode.OK);
        var token = await app.LatestTokenAsync(member.Email, "mfa_reset");

        app.Clock.Advance(TimeSpan.FromMinutes(16));

        (await app.Client().PostAsync("/v3/user/two_factor/reset", new { token, password = Scenario.Password })).EnsureError(HttpStatusCode.UnprocessableEntity);
        Assert.True((await app.UserAsync(member.Email)).TotpEnabled);
    }

    [Fact]
    public async Task AdminActions_ByAMember_AreForbidden()
    {
        var (org, _, member, memberClient) = await OrgWithMemberAsync("member-tries");
        foreach (var action in new[] { "reset_password", "reset_mfa", "sign_out", "unlock" })
            (await memberClient.PostAsync($"/v3/organizations/{org.Uid}/users/{action}", new { users = new[] { member.UserUid } })).EnsureError(HttpStatusCode.Forbidden);
    }
}
