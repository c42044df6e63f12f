using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Console;

/// <summary>The console's HTTP contract: headers, cookies, antiforgery, origin checks, redirects, setup links.</summary>
public sealed class ConsoleSecurityTests(AppFactory app) : IClassFixture<AppFactory>
{
    [Fact]
    public async Task ConsolePages_SendCspNosniffNoReferrerAndNoStore()
    {
        var response = await app.ConsoleClient().GetAsync("/sign-in");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString());
        Assert.Equal("text/html; charset=utf-8", response.Content.Headers.ContentType!.ToString());
    }

    [Fact]
    public async Task Post_WithoutAntiforgeryToken_IsRefusedAndSignsNobodyIn()
    {
        await app.CreateOrganizationAsync("Acme", "csrf@example.test");
        var client = app.ConsoleClient();
        await client.GetAsync("/sign-in");

        var response = await client.PostAsync("/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Email"] = "csrf@example.test", ["Password"] = Scenario.Password,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("orgstack=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Post_FromAnotherOrigin_IsRefused()
    {
        await app.CreateOrganizationAsync("Acme", "origin@example.test");
        var client = app.ConsoleClient();
        var page = await client.GetStringAsync("/sign-in");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sign-in")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Email"] = "origin@example.test", ["Password"] = Scenario.Password, ["__csrf"] = ConsoleScenario.Antiforgery(page),
            }),
        };
        request.Headers.Add("Origin", "https://evil.example");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task SignIn_SetsAnHttpOnlyLaxCookie_ThatTheJsonApiDoesNotAccept()
    {
        var org = await app.CreateOrganizationAsync("Acme", "cookie@example.test");
        var client = app.ConsoleClient();

        var response = await client.SignInAsync("cookie@example.test");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("orgstack=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        var token = cookie.Split(';')[0]["orgstack=".Length..];
        var home = await client.GetStringAsync($"/o/{org.Uid}");
        Assert.Contains("cookie@example.test", home);
        Assert.DoesNotContain(token, home);

        // The same token in a cookie opens no door on /v3: only the authtoken header does.
        var api = await client.GetAsync("/v3/user");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    [Fact]
    public async Task SignIn_OverHttps_UsesTheHostPrefixedSecureCookie()
    {
        await app.CreateOrganizationAsync("Acme", "https-cookie@example.test");
        var client = app.ConsoleClient(https: true);

        var response = await client.SignInAsync("https-cookie@example.test");

        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("__Host-orgstack=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("domain=", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("max-age=31536000", response.Headers.GetValues("Strict-Transport-Security").Single());
    }

    [Fact]
    public async Task SignIn_WithAForeignReturnUrl_StaysOnThisSite()
    {
        await app.CreateOrganizationAsync("Acme", "redirect@example.test");
        foreach (var target in new[] { "//evil.example/x", "https://evil.example", "/\\evil.example", "javascript:alert(1)" })
        {
            var client = app.ConsoleClient();
            var response = await client.SignInAsync("redirect@example.test", path: "/sign-in?returnUrl=" + Uri.EscapeDataString(target));
            Assert.Equal("/", response.Headers.Location!.ToString());
        }
    }

    [Fact]
    public async Task SignIn_WithALocalReturnUrl_GoesBackThere()
    {
        var org = await app.CreateOrganizationAsync("Acme", "return@example.test");
        var client = app.ConsoleClient();

        var response = await client.SignInAsync("return@example.test", path: "/sign-in?returnUrl=" + Uri.EscapeDataString($"/o/{org.Uid}/users?sort=email"));

        Assert.Equal($"/o/{org.Uid}/users?sort=email", response.Headers.Location!.ToString());
    }

    [Fact]
    public async Task AnonymousRequestForAnOrgPage_RedirectsToSignIn()
    {
        var response = await app.ConsoleClient().GetAsync("/o/blt0123456789abcdef/users");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/sign-in?returnUrl=%2Fo%2Fblt0123456789abcdef%2Fusers", response.Headers.Location!.ToString());
    }

    [Fact]
    public async Task SignOut_ByGet_ChangesNothing_AndByPost_RevokesTheSession()
    {
        await app.CreateOrganizationAsync("Acme", "signout-http@example.test");
        var client = app.ConsoleClient();
        await client.SignInAsync("signout-http@example.test");

        var get = await client.GetAsync("/sign-out");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.StartsWith("/o/", (await client.GetAsync("/")).Headers.Location!.ToString());

        var post = await client.SubmitAsync("/sign-out", new Dictionary<string, string>());
        Assert.Equal("/sign-in?signedOut=true", post.Headers.Location!.ToString());
        var sessions = await app.WithDbAsync(db => db.Sessions.Join(db.Users, s => s.UserUid, u => u.Uid, (s, u) => new { s, u })
            .Where(x => x.u.Email == "signout-http@example.test").Select(x => x.s.RevokedAt).ToListAsync());
        Assert.All(sessions, revoked => Assert.NotNull(revoked));
    }

    [Fact]
    public async Task UnknownConsolePage_Answers404WithAnHtmlPage()
    {
        var response = await app.ConsoleClient().GetAsync("/no-such-page");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Page not found", await response.Content.ReadAsStringAsync());
        Assert.NotNull(response.Headers.GetValues("Content-Security-Policy").Single());
    }
}

/// <summary>First-run setup over HTTP, on a database of its own (setup refuses once anyone has an account).</summary>
public sealed class SetupPageTests : IDisposable
{
    private readonly AppFactory app = new();

    public void Dispose() => app.Dispose();

    private async Task<string> IssueTokenAsync()
    {
        await using var scope = app.Scope();
        var issued = await scope.ServiceProvider.GetRequiredService<IssueSetupToken>().HandleAsync(CancellationToken.None);
        return issued.Value!;
    }

    private static Dictionary<string, string> Form(string token, string password = Scenario.Password) => new()
    {
        ["Token"] = token, ["OrganizationName"] = "First Org", ["FirstName"] = "Fay", ["LastName"] = "First",
        ["Email"] = "fay@first.test", ["Password"] = password,
    };

    [Fact]
    public async Task SetupLink_IsStoredOnlyAsAHash()
    {
        var token = await IssueTokenAsync();

        var stored = await app.WithDbAsync(db => db.ActionTokens.Where(t => t.Purpose == TokenPurpose.Setup).Select(t => t.TokenHash).ToListAsync());

        Assert.Contains(Secrets.Hash(token), stored);
        Assert.DoesNotContain(token, stored);
    }

    [Fact]
    public async Task Get_DoesNotConsumeTheLink_AndARefusedFormLeavesItUsable()
    {
        var token = await IssueTokenAsync();
        var client = app.ConsoleClient();
        var path = "/setup?token=" + Uri.EscapeDataString(token);
        Assert.Contains("Create organization", await client.GetStringAsync(path));
        Assert.Contains("Create organization", await client.GetStringAsync(path));

        var weak = await client.SubmitAsync(path, Form(token, "short"), "/setup");
        Assert.Equal(HttpStatusCode.OK, weak.StatusCode);
        Assert.Contains("at least 8 characters", await weak.Content.ReadAsStringAsync());
        Assert.False(await app.WithDbAsync(db => db.Users.AnyAsync()));

        var done = await client.SubmitAsync(path, Form(token), "/setup");
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.StartsWith("/o/blt", done.Headers.Location!.ToString());
        Assert.Contains(done.Headers.GetValues("Set-Cookie"), c => c.StartsWith("orgstack=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SetupLink_WorksOnce_AndEveryOtherLinkDiesWithIt()
    {
        var token = await IssueTokenAsync();
        var other = await IssueTokenAsync();
        var client = app.ConsoleClient();
        var path = "/setup?token=" + Uri.EscapeDataString(token);
        Assert.Equal(HttpStatusCode.Redirect, (await client.SubmitAsync(path, Form(token), "/setup")).StatusCode);

        var again = await app.ConsoleClient().SubmitAsync("/sign-in", Form(other), "/setup");

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, await app.WithDbAsync(db => db.Users.CountAsync()));
        Assert.Equal(0, await app.WithDbAsync(db => db.ActionTokens.CountAsync(t => t.Purpose == TokenPurpose.Setup && t.UsedAt == null && t.RevokedAt == null)));
    }

    [Fact]
    public async Task UnknownSetupToken_ShowsAnErrorAndNoForm()
    {
        var html = await app.ConsoleClient().GetStringAsync("/setup?token=not-a-real-token");

        Assert.Contains("not valid any more", html);
        Assert.DoesNotContain("Create organization", html);
    }

    [Fact]
    public async Task ConcurrentSubmissions_CreateExactlyOneOwner()
    {
        var token = await IssueTokenAsync();
        var clients = Enumerable.Range(0, 4).Select(_ => app.ConsoleClient()).ToList();
        var pages = await Task.WhenAll(clients.Select(c => c.GetStringAsync("/setup?token=" + Uri.EscapeDataString(token))));

        var responses = await Task.WhenAll(clients.Select((c, i) => c.PostAsync("/setup", new FormUrlEncodedContent(
            new Dictionary<string, string>(Form(token)) { ["__csrf"] = ConsoleScenario.Antiforgery(pages[i]), ["Email"] = $"racer{i}@first.test" }))));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Redirect);
        Assert.Equal(1, await app.WithDbAsync(db => db.Users.CountAsync()));
        Assert.Equal(1, await app.WithDbAsync(db => db.Organizations.CountAsync()));
    }
}
