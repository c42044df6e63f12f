using System.Net;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using static Orgstack.Tests.Support.SsoScenario;

namespace Orgstack.Tests.Sso;

/// <summary>Turning SSO on (after a test), strict mode, "allow access without SSO", and the admin API.</summary>
public sealed class SsoEnforcementTests(SsoIdpFixture idps) : IClassFixture<SsoIdpFixture>, IDisposable
{
    private readonly SsoAppFactory app = new();

    public void Dispose() => app.Dispose();

    /// <summary>Signs the member in through the SAML IdP (hand-built signed response); the session token.</summary>
    private async Task<string> SamlSignInAsync(string orgUid, string email)
    {
        using var browser = new SsoBrowser(app);
        var requestId = SsoBrowser.RequestIdOf(await browser.StartAsync(orgUid, "saml"));
        var xml = await idps.SamlResponseXmlAsync(new { inResponseTo = requestId, nameId = email });
        return SsoSessionToken(await browser.PostAcsXmlAsync(orgUid, xml));
    }

    private ApiClient WithToken(string token)
    {
        var client = app.Client();
        client.AuthToken = token;
        return client;
    }

    private async Task<(string OrgUid, ApiClient Owner, string MemberEmail, ApiClient MemberByPassword)> EnforcedOrgAsync(bool strict)
    {
        var (org, owner) = await app.SamlOrganizationAsync(idps);
        var member = (await app.Member(org.Uid, MembersScenario.Unique("member")).InviteAndAcceptAsync(owner)).Email;
        var ownerApi = await app.SignedInAsync(owner.Email);
        var memberApi = await app.SignedInAsync(member);
        await SamlSignInAsync(org.Uid, member);
        (await ownerApi.PutAsync($"/v3/organizations/{org.Uid}/sso", new { sso = new { enabled = true, strict } })).EnsureStatus(HttpStatusCode.OK);
        return (org.Uid, ownerApi, member, memberApi);
    }

    [Fact]
    public async Task EnablingSso_BeforeATestSignIn_IsRefused()
    {
        var (org, owner) = await app.SamlOrganizationAsync(idps);
        var api = await app.SignedInAsync(owner.Email);

        var error = (await api.PutAsync($"/v3/organizations/{org.Uid}/sso", new { sso = new { enabled = true } })).EnsureError(HttpStatusCode.UnprocessableEntity);

        Assert.Contains("test", error["error_message"]!.GetValue<string>());
        var sso = (await api.GetAsync($"/v3/organizations/{org.Uid}/sso")).EnsureStatus(HttpStatusCode.OK).Json["sso"]!;
        Assert.False(sso["enabled"]!.GetValue<bool>());
        Assert.False(sso["tested"]!.GetValue<bool>());
        Assert.Equal($"http://orgstack.test/sso/{org.Uid}/saml/acs", sso["saml"]!["sp_acs_url"]!.GetValue<string>());
    }

    [Fact]
    public async Task SsoSettings_AsPlainMember_IsForbidden()
    {
        var (org, owner) = await app.SamlOrganizationAsync(idps);
        var member = (await app.Member(org.Uid, MembersScenario.Unique("member")).InviteAndAcceptAsync(owner)).Email;
        var api = await app.SignedInAsync(member);

        (await api.GetAsync($"/v3/organizations/{org.Uid}/sso")).EnsureError(HttpStatusCode.Forbidden);
        (await api.PutAsync($"/v3/organizations/{org.Uid}/sso", new { sso = new { strict = true } })).EnsureError(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task OidcSettings_ClientSecretIsStoredEncryptedAndNeverReturned()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var api = await app.SignedInAsync(owner.Email);

        var body = (await api.PutAsync($"/v3/organizations/{org.Uid}/sso", new
        {
            sso = new { protocol = "oidc", oidc = new { issuer = idps.Oidc.BaseUrl, client_id = "c1", client_secret = "s3cret-value" } },
        })).EnsureStatus(HttpStatusCode.OK).Body;

        Assert.DoesNotContain("s3cret-value", body);
        var stored = await app.WithDbAsync(db => Task.FromResult(db.SsoConfigurations.Single(c => c.OrganizationUid == org.Uid).OidcClientSecret));
        Assert.DoesNotContain("s3cret-value", stored);
        Assert.True(await app.AuditedAsync(org.Uid, "update_settings"));
    }

    [Fact]
    public async Task ChangingIdp_WhileEnabled_IsRefused()
    {
        var (org, owner, _, _) = await EnforcedOrgAsync(strict: false);

        (await owner.PutAsync($"/v3/organizations/{org}/sso", new { sso = new { saml = new { idp_sso_url = "http://127.0.0.1:9/sso" } } }))
            .EnsureError(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task NonStrict_PasswordSessionOfMember_IsRefusedUntilAllowedWithoutSso()
    {
        var (org, owner, memberEmail, memberByPassword) = await EnforcedOrgAsync(strict: false);

        (await memberByPassword.GetAsync($"/v3/organizations/{org}")).EnsureError(HttpStatusCode.Forbidden);

        var share = (await app.MembershipAsync(org, memberEmail))!.Uid;
        (await owner.PutAsync($"/v3/organizations/{org}/share/{share}/sso_access", new { share = new { access_without_sso = true } })).EnsureStatus(HttpStatusCode.OK);
        (await memberByPassword.GetAsync($"/v3/organizations/{org}")).EnsureStatus(HttpStatusCode.OK);
        Assert.True(await app.AuditedAsync(org, "allow_access_without_sso", memberEmail));

        (await owner.PutAsync($"/v3/organizations/{org}/share/{share}/sso_access", new { share = new { access_without_sso = false } })).EnsureStatus(HttpStatusCode.OK);
        (await memberByPassword.GetAsync($"/v3/organizations/{org}")).EnsureError(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task NonStrict_SsoSessionOfMember_ReachesOrganization()
    {
        var (org, _, memberEmail, _) = await EnforcedOrgAsync(strict: false);

        var token = await SamlSignInAsync(org, memberEmail);

        (await WithToken(token).GetAsync($"/v3/organizations/{org}")).EnsureStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Strict_PasswordSession_IsRefusedEvenWhenAllowedWithoutSso()
    {
        var (org, owner, memberEmail, memberByPassword) = await EnforcedOrgAsync(strict: false);
        var share = (await app.MembershipAsync(org, memberEmail))!.Uid;
        (await owner.PutAsync($"/v3/organizations/{org}/share/{share}/sso_access", new { share = new { access_without_sso = true } })).EnsureStatus(HttpStatusCode.OK);
        (await owner.PutAsync($"/v3/organizations/{org}/sso", new { sso = new { strict = true } })).EnsureStatus(HttpStatusCode.OK);

        (await memberByPassword.GetAsync($"/v3/organizations/{org}")).EnsureError(HttpStatusCode.Forbidden);
        (await owner.GetAsync($"/v3/organizations/{org}")).EnsureError(HttpStatusCode.Forbidden);
        (await WithToken(await SamlSignInAsync(org, memberEmail)).GetAsync($"/v3/organizations/{org}")).EnsureStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task OperatorBreakGlass_StrictOnly_LetsTheOwnerUseAPasswordAgain_ThenSsoOff_LetsEveryMember_AndEachStepIsAudited()
    {
        var (org, owner, _, memberByPassword) = await EnforcedOrgAsync(strict: true);
        (await owner.GetAsync($"/v3/organizations/{org}")).EnsureError(HttpStatusCode.Forbidden);

        var strictOff = await OrgstackCli.RunAsync(app.DataDirectory, "sso-off", "--org", org, "--strict-only");
        Assert.True(strictOff.Code == 0, strictOff.Err);
        Assert.Contains("strict mode off", strictOff.Out, StringComparison.Ordinal);
        (await owner.GetAsync($"/v3/organizations/{org}")).EnsureStatus(HttpStatusCode.OK);
        (await memberByPassword.GetAsync($"/v3/organizations/{org}")).EnsureError(HttpStatusCode.Forbidden);

        var off = await OrgstackCli.RunAsync(app.DataDirectory, "sso-off", "--org", org);
        Assert.True(off.Code == 0, off.Err);
        (await memberByPassword.GetAsync($"/v3/organizations/{org}")).EnsureStatus(HttpStatusCode.OK);
        var again = await OrgstackCli.RunAsync(app.DataDirectory, "sso-off", "--org", org);
        Assert.StartsWith("Nothing to change", again.Out, StringComparison.Ordinal);

        var events = await app.WithDbAsync(db => db.AuditEvents.Where(e => e.OrganizationUid == org && e.Module == "sso" && e.EventType.StartsWith("operator_"))
            .Select(e => e.EventType).ToListAsync());
        Assert.Equal(["operator_strict_off", "operator_disable"], events.Order(StringComparer.Ordinal).Reverse());
    }

    [Fact]
    public async Task OperatorBreakGlass_ForAnUnknownOrganizationOrOneWithoutSso_FailsAndChangesNothing()
    {
        var (org, _) = await app.NewOrganizationAsync();
        var unknown = await OrgstackCli.RunAsync(app.DataDirectory, "sso-off", "--org", "blt0000000000000000");
        Assert.Equal(3, unknown.Code);
        var none = await OrgstackCli.RunAsync(app.DataDirectory, "sso-off", "--org", org.Uid);
        Assert.Equal(3, none.Code);
        Assert.Contains("sso.not_configured", none.Err, StringComparison.Ordinal);
        Assert.False(await app.WithDbAsync(db => db.SsoConfigurations.AnyAsync(c => c.OrganizationUid == org.Uid)));
    }

    [Fact]
    public async Task AllowingAccessWithoutSso_InStrictMode_IsRefused()
    {
        var (org, owner, memberEmail, _) = await EnforcedOrgAsync(strict: true);
        var ownerSso = WithToken(await SamlSignInAsync(org, await app.OwnerEmailAsync(org)));
        var share = (await app.MembershipAsync(org, memberEmail))!.Uid;

        var error = (await ownerSso.PutAsync($"/v3/organizations/{org}/share/{share}/sso_access", new { share = new { access_without_sso = true } }))
            .EnsureError(HttpStatusCode.UnprocessableEntity);

        Assert.NotNull(error["errors"]!["access_without_sso"]);
        Assert.False((await app.MembershipAsync(org, memberEmail))!.AccessWithoutSso);
    }

    [Fact]
    public async Task AllowingAccessWithoutSso_OnYourself_IsForbidden()
    {
        var (org, owner) = await app.SamlOrganizationAsync(idps);
        var admin = (await app.Member(org.Uid, MembersScenario.Unique("admin"), OrgRole.Admin).InviteAndAcceptAsync(owner)).Email;
        var adminApi = await app.SignedInAsync(admin);
        var share = (await app.MembershipAsync(org.Uid, admin))!.Uid;

        (await adminApi.PutAsync($"/v3/organizations/{org.Uid}/share/{share}/sso_access", new { share = new { access_without_sso = true } }))
            .EnsureError(HttpStatusCode.Forbidden);
        Assert.False((await app.MembershipAsync(org.Uid, admin))!.AccessWithoutSso);
    }

    [Fact]
    public async Task AllowingAccessWithoutSso_WithoutSso_IsRefused()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var member = (await app.Member(org.Uid, MembersScenario.Unique("member")).InviteAndAcceptAsync(owner)).Email;
        var api = await app.SignedInAsync(owner.Email);
        var share = (await app.MembershipAsync(org.Uid, member))!.Uid;

        (await api.PutAsync($"/v3/organizations/{org.Uid}/share/{share}/sso_access", new { share = new { access_without_sso = true } }))
            .EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Strict_MemberOfAnotherOrganizationWithoutSso_KeepsPasswordAccessThere()
    {
        var (org, _, memberEmail, memberByPassword) = await EnforcedOrgAsync(strict: true);
        var (otherOrg, otherOwner) = await app.NewOrganizationAsync();
        await app.Member(otherOrg.Uid, memberEmail).AddAsync();

        (await memberByPassword.GetAsync($"/v3/organizations/{otherOrg.Uid}")).EnsureStatus(HttpStatusCode.OK);
        (await memberByPassword.GetAsync($"/v3/organizations/{org}")).EnsureError(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task SsoSession_DoesNotReachAnotherOrganization()
    {
        var (org, _, memberEmail, _) = await EnforcedOrgAsync(strict: false);
        var (otherOrg, otherOwner) = await app.NewOrganizationAsync();
        await app.Member(otherOrg.Uid, memberEmail).AddAsync();

        var token = await SamlSignInAsync(org, memberEmail);

        (await WithToken(token).GetAsync($"/v3/organizations/{otherOrg.Uid}")).EnsureError(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task TurningSsoOff_RestoresPasswordAccess()
    {
        var (org, _, memberEmail, memberByPassword) = await EnforcedOrgAsync(strict: true);
        var admin = WithToken(await SamlSignInAsync(org, (await app.OwnerEmailAsync(org))));

        (await admin.PutAsync($"/v3/organizations/{org}/sso", new { sso = new { enabled = false } })).EnsureStatus(HttpStatusCode.OK);

        (await memberByPassword.GetAsync($"/v3/organizations/{org}")).EnsureStatus(HttpStatusCode.OK);
        Assert.Equal(MembershipStatus.Accepted, (await app.MembershipAsync(org, memberEmail))!.Status);
    }
}
