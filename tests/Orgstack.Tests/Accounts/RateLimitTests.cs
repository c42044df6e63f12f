using System.Net;
using Microsoft.Extensions.DependencyInjection;
using System.Net.Http.Json;
using Orgstack.Core.Security;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Accounts;

public sealed class RateLimitTests
{
    [Fact]
    public async Task SignInsPastTheAccountLimit_Answer429InTheContractShapeWithRetryAfter()
    {
        using var app = new SecurityAppFactory();
        app.Settings["Orgstack:RateLimits:SignInPerAccount"] = "6";
        var email = AccountsScenario.UniqueEmail("limited");
        await app.CreateOrganizationAsync("Limit Co", email);
        var client = app.Client();
        for (var i = 0; i < 6; i++) await client.SignInAsync(email, i % 2 == 0 ? Scenario.Password : "wrong password");

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v3/user-session")
        {
            Content = JsonContent.Create(new { user = new { email, password = Scenario.Password } }),
        };
        using var response = await client.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("{\"error_message\":\"Too many requests\",\"error_code\":429}", await response.Content.ReadAsStringAsync());
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        app.Clock.Advance(TimeSpan.FromSeconds(61));
        await client.LoginAsync(email, Scenario.Password);
    }

    [Fact]
    public async Task DefaultLimits_LeaveRoomForTheCliRetryingAFailedLoginFourTimes()
    {
        var defaults = new Orgstack.Core.Common.OrgstackOptions().RateLimits;
        Assert.True(defaults.SignInPerAccount >= 4 * 5, "five mistyped CLI logins (4 requests each) must not hit the account limit");
        Assert.True(defaults.SignInPerAddress >= defaults.SignInPerAccount);

        using var app = new AppFactory();
        var email = AccountsScenario.UniqueEmail("cli");
        await app.CreateOrganizationAsync("Cli Co", email);
        var client = app.Client();
        for (var i = 0; i < 4; i++) (await client.SignInAsync(email, "mistyped password")).EnsureError(HttpStatusCode.UnprocessableEntity);
        await client.LoginAsync(email, Scenario.Password);
    }

    [Fact]
    public async Task ForgotPasswordPastTheAccountLimit_Answers429()
    {
        using var app = new SecurityAppFactory();
        app.Settings["Orgstack:RateLimits:ResetPerAccount"] = "2";
        var email = AccountsScenario.UniqueEmail("forgot-limit");
        await app.CreateOrganizationAsync("Forgot Co", email);
        var client = app.Client();

        for (var i = 0; i < 2; i++) (await client.PostAsync("/v3/user/forgot_password", new { user = new { email } })).EnsureStatus(HttpStatusCode.OK);
        var limited = await client.PostAsync("/v3/user/forgot_password", new { user = new { email } });

        Assert.Equal(429, limited.EnsureError(HttpStatusCode.TooManyRequests)["error_code"]!.GetValue<int>());
        Assert.Equal(2, (await app.MailsToAsync(email, "password_reset")).Count);
        Assert.Null((await app.UserAsync(email)).LockedAt);
    }

    [Fact]
    public async Task ParallelHitsOnOneCounter_AreAllCounted()
    {
        using var app = new SecurityAppFactory();
        _ = app.Client();

        var decisions = await Task.WhenAll(Enumerable.Range(0, 30).Select(async _ =>
        {
            await using var scope = app.Scope();
            return await scope.ServiceProvider.GetRequiredService<RateLimiter>().HitAsync("test:parallel", 10, CancellationToken.None);
        }));

        Assert.Equal(10, decisions.Count(d => d.Allowed));
        var counter = await app.WithDbAsync(db => db.RateLimitCounters.FindAsync("test:parallel").AsTask());
        Assert.Equal(30, counter!.Count);
    }
}
