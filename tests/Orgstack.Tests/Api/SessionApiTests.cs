using System.Net;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Api;

public sealed class SessionApiTests : IClassFixture<AppFactory>
{
    private readonly AppFactory app;

    public SessionApiTests(AppFactory app) => this.app = app;

    [Fact]
    public async Task Login_WithRightPassword_Answers200WithAuthtokenAndOrganizations()
    {
        var org = await app.CreateOrganizationAsync("Acme", "login-ok@example.test");
        var client = app.Client();

        var user = await client.LoginAsync("Login-OK@example.test", Scenario.Password);

        Assert.Equal("login-ok@example.test", user["email"]!.GetValue<string>());
        Assert.StartsWith("cs", user["authtoken"]!.GetValue<string>());
        Assert.Contains(user["organizations"]!.AsArray(), o => o!["uid"]!.GetValue<string>() == org.Uid);
    }

    [Fact]
    public async Task Login_WithWrongPasswordOrUnknownEmail_AnswersTheSame422()
    {
        await app.CreateOrganizationAsync("Acme", "login-bad@example.test");
        var client = app.Client();

        var wrong = await client.PostAsync("/v3/user-session", new { user = new { email = "login-bad@example.test", password = "nope nope nope" } });
        var unknown = await client.PostAsync("/v3/user-session", new { user = new { email = "nobody@example.test", password = "nope nope nope" } });

        Assert.Equal(104, wrong.EnsureError(HttpStatusCode.UnprocessableEntity)["error_code"]!.GetValue<int>());
        Assert.Equal(wrong.Body, unknown.EnsureError(HttpStatusCode.UnprocessableEntity).ToJsonString());
    }

    [Fact]
    public async Task Logout_RevokesTheToken_SoTheNextRequestIs401()
    {
        await app.CreateOrganizationAsync("Acme", "logout@example.test");
        var client = app.Client();
        await client.LoginAsync("logout@example.test", Scenario.Password);

        (await client.DeleteAsync("/v3/user-session")).EnsureStatus(HttpStatusCode.OK);

        Assert.Equal(105, (await client.GetAsync("/v3/user")).EnsureError(HttpStatusCode.Unauthorized)["error_code"]!.GetValue<int>());
    }

    [Fact]
    public async Task MalformedJson_Answers400InContentstackShape()
    {
        var response = await app.Client().PostAsync("/v3/user-session", "{\"user\": {\"email\": ");
        response.EnsureError(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task UnknownRoute_Answers404InContentstackShape()
    {
        (await app.Client().GetAsync("/v3/no-such-thing")).EnsureError(HttpStatusCode.NotFound);
    }
}
