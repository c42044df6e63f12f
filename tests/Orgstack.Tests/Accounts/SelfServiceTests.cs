using System.Net;
using Orgstack.Core.Accounts;
using Orgstack.Core.Security;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Accounts;

public sealed class SelfServiceTests : IClassFixture<SecurityAppFactory>
{
    private readonly SecurityAppFactory app;

    public SelfServiceTests(SecurityAppFactory app) => this.app = app;

    private static object ResetBody(string token, string password, string? confirmation = null) =>
        new { user = new { reset_password_token = token, password, password_confirmation = confirmation ?? password } };

    [Fact]
    public async Task ForgotPassword_AnswersTheSameForKnownAndUnknownAddresses_AndMailsOnlyTheAccount()
    {
        var email = AccountsScenario.UniqueEmail("forgot");
        await app.CreateOrganizationAsync("Forgot Co", email);
        var unknown = AccountsScenario.UniqueEmail("nobody");

        var known = await app.Client().PostAsync("/v3/user/forgot_password", new { user = new { email } });
        var missing = await app.Client().PostAsync("/v3/user/forgot_password", new { user = new { email = unknown } });

        Assert.Equal(known.EnsureStatus(HttpStatusCode.OK).Body, missing.EnsureStatus(HttpStatusCode.OK).Body);
        Assert.Single(await app.MailsToAsync(email, "password_reset"));
        Assert.Empty(await app.MailsToAsync(unknown));
    }

    [Fact]
    public async Task ResetLink_WorksOnce_EndsSessions_AndDoesNotTurnOffTwoFactor()
    {
        var email = AccountsScenario.UniqueEmail("reset");
        await app.CreateOrganizationAsync("Reset Co", email);
        var session = app.Client();
        await session.LoginAsync(email, Scenario.Password);
        var (secret, _) = await session.EnrollTotpAsync(app.Clock);
        app.Clock.Advance(TimeSpan.FromSeconds(30));
        await app.Client().PostAsync("/v3/user/forgot_password", new { user = new { email } });
        var token = await app.LatestTokenAsync(email, "password_reset");

        (await app.Client().PostAsync("/v3/user/reset_password", ResetBody(token, "another fine passphrase"))).EnsureStatus(HttpStatusCode.OK);
        (await app.Client().PostAsync("/v3/user/reset_password", ResetBody(token, "yet another passphrase"))).EnsureError(HttpStatusCode.UnprocessableEntity);

        (await session.GetAsync("/v3/user")).EnsureError(HttpStatusCode.Unauthorized);
        (await app.Client().SignInAsync(email, "another fine passphrase")).EnsureError(HttpStatusCode.Unauthorized);
        var code = Totp.Code(secret, Totp.StepAt(app.Clock.GetUtcNow()));
        (await app.Client().SignInAsync(email, "another fine passphrase", code)).EnsureStatus(HttpStatusCode.OK);
        Assert.Single(await app.MailsToAsync(email, "password_changed"));
    }

    [Fact]
    public async Task ResetLink_ExpiresAfter60Minutes()
    {
        var email = AccountsScenario.UniqueEmail("expiry");
        await app.CreateOrganizationAsync("Expiry Co", email);
        await app.Client().PostAsync("/v3/user/forgot_password", new { user = new { email } });
        var token = await app.LatestTokenAsync(email, "password_reset");

        app.Clock.Advance(TimeSpan.FromMinutes(61));

        (await app.Client().PostAsync("/v3/user/reset_password", ResetBody(token, "another fine passphrase"))).EnsureError(HttpStatusCode.UnprocessableEntity);
        await app.Client().LoginAsync(email, Scenario.Password);
    }

    [Fact]
    public async Task NewerResetRequest_RevokesTheOlderLink()
    {
        var email = AccountsScenario.UniqueEmail("newer");
        await app.CreateOrganizationAsync("Newer Co", email);
        await app.Client().PostAsync("/v3/user/forgot_password", new { user = new { email } });
        var first = await app.LatestTokenAsync(email, "password_reset");
        await app.Client().PostAsync("/v3/user/forgot_password", new { user = new { email } });

        (await app.Client().PostAsync("/v3/user/reset_password", ResetBody(first, "another fine passphrase"))).EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task ResetPassword_WithMismatchOrWeakPassword_IsRefused_AndTheLinkStaysUsable()
    {
        var email = AccountsScenario.UniqueEmail("weak");
        await app.CreateOrganizationAsync("Weak Co", email);
        await app.Client().PostAsync("/v3/user/forgot_password", new { user = new { email } });
        var token = await app.LatestTokenAsync(email, "password_reset");

        (await app.Client().PostAsync("/v3/user/reset_password", ResetBody(token, "another fine passphrase", "something else entirely"))).EnsureError(HttpStatusCode.UnprocessableEntity);
        (await app.Client().PostAsync("/v3/user/reset_password", ResetBody(token, "password123"))).EnsureError(HttpStatusCode.UnprocessableEntity);
        (await app.Client().PostAsync("/v3/user/reset_password", ResetBody(token, "another fine passphrase"))).EnsureStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ParallelUsesOfOneResetLink_OnlyOneSucceeds()
    {
        var email = AccountsScenario.UniqueEmail("parallel-reset");
        await app.CreateOrganizationAsync("Parallel Co", email);
        await app.Client().PostAsync("/v3/user/forgot_password", new { user = new { email } });
        var token = await app.LatestTokenAsync(email, "password_reset");

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(i =>
            app.Client().PostAsync("/v3/user/reset_password", ResetBody(token, "parallel passphrase " + i))));

        Assert.Single(responses, r => r.Status == HttpStatusCode.OK);
    }

    [Fact]
    public async Task UpdateProfile_ChangesNames_AndIgnoresReadOnlyFields()
    {
        var email = AccountsScenario.UniqueEmail("profile");
        await app.CreateOrganizationAsync("Profile Co", email);
        var client = app.Client();
        var user = await client.LoginAsync(email, Scenario.Password);

        var response = await client.PutAsync("/v3/user", new
        {
            user = new { first_name = "Ada", last_name = "Lovelace", company = "Engines Ltd", email = "evil@example.test", uid = "bltother", authtoken = "x", organizations = new object[] { new { uid = "y" } }, active = false },
        });

        var updated = response.EnsureStatus(HttpStatusCode.OK).Json["user"]!;
        Assert.Equal("Profile updated successfully.", response.Json["notice"]!.GetValue<string>());
        Assert.Equal("Ada", updated["first_name"]!.GetValue<string>());
        Assert.Equal("Engines Ltd", updated["company"]!.GetValue<string>());
        Assert.Equal(email, updated["email"]!.GetValue<string>());
        Assert.Equal(user["uid"]!.GetValue<string>(), updated["uid"]!.GetValue<string>());
        Assert.True((await app.UserAsync(email)).Active);
    }

    [Fact]
    public async Task ChangePassword_NeedsTheCurrentOne_AndEndsOtherSessions()
    {
        var email = AccountsScenario.UniqueEmail("change");
        await app.CreateOrganizationAsync("Change Co", email);
        var client = app.Client();
        await client.LoginAsync(email, Scenario.Password);
        var other = app.Client();
        await other.LoginAsync(email, Scenario.Password);

        (await client.PostAsync("/v3/user/change_password", new { user = new { current_password = "wrong one", password = "a changed passphrase", password_confirmation = "a changed passphrase" } }))
            .EnsureError(HttpStatusCode.UnprocessableEntity);
        var changed = await client.PostAsync("/v3/user/change_password", new { user = new { current_password = Scenario.Password, password = "a changed passphrase", password_confirmation = "a changed passphrase" } });

        client.AuthToken = changed.EnsureStatus(HttpStatusCode.OK).Json["authtoken"]!.GetValue<string>();
        (await client.GetAsync("/v3/user")).EnsureStatus(HttpStatusCode.OK);
        (await other.GetAsync("/v3/user")).EnsureError(HttpStatusCode.Unauthorized);
        await app.Client().LoginAsync(email, "a changed passphrase");
    }

    [Fact]
    public async Task Activate_WithToken_SetsNamesAndPassword_Once()
    {
        var email = AccountsScenario.UniqueEmail("activate");
        await app.CreateOrganizationAsync("Activate Co", email);
        var user = await app.UserAsync(email);
        string token;
        await using (var scope = app.Scope())
        {
            var services = scope.ServiceProvider;
            var db = services.GetRequiredService<Orgstack.Core.Data.OrgstackDbContext>();
            token = await services.GetRequiredService<ActionTokens>().IssueAsync(TokenPurpose.Activation, user, TimeSpan.FromDays(1), null, CancellationToken.None);
            await db.SaveChangesAsync();
        }
        var body = new { user = new { first_name = "Grace", last_name = "Hopper", password = "activated passphrase", password_confirmation = "activated passphrase" } };

        (await app.Client().PostAsync($"/v3/user/activate/{token}", body)).EnsureStatus(HttpStatusCode.OK);
        (await app.Client().PostAsync($"/v3/user/activate/{token}", body)).EnsureError(HttpStatusCode.UnprocessableEntity);

        Assert.Equal("Grace", (await app.UserAsync(email)).FirstName);
        await app.Client().LoginAsync(email, "activated passphrase");
    }
}
