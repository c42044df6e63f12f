using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Reliability;

/// <summary>The server on Kestrel (real client addresses), with the given trusted proxies.</summary>
public sealed class ProxiedKestrelApp : AppFactory
{
    public string BaseUrl { get; }

    public ProxiedKestrelApp(string? knownProxies)
    {
        if (knownProxies is not null) Settings["Orgstack:ForwardedHeaders:KnownProxies"] = knownProxies;
        UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        StartServer();
        BaseUrl = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }
}

public sealed class ForwardedHeadersTests
{
    [Theory]
    [InlineData(null, "127.0.0.1")]            // no proxy configured: the header is ignored
    [InlineData("10.9.8.7", "127.0.0.1")]      // a proxy configured, but the request does not come from it
    [InlineData("127.0.0.1", "203.0.113.9")]   // from the configured proxy: its X-Forwarded-For is the client
    public async Task SignIn_WithXForwardedFor_RecordsTheAddressOnlyFromAKnownProxy(string? knownProxies, string recorded)
    {
        await using var app = new ProxiedKestrelApp(knownProxies);
        var (_, owner) = await app.NewOrganizationAsync();
        var client = new ApiClient(new HttpClient { BaseAddress = new Uri(app.BaseUrl) });
        var response = await client.PostAsync("/v3/user-session", new { user = new { email = owner.Email, password = Scenario.Password } },
            new Dictionary<string, string> { ["X-Forwarded-For"] = "203.0.113.9", ["X-Forwarded-Host"] = "evil.test" });
        response.EnsureStatus(HttpStatusCode.OK);

        var addresses = await app.DbAsync(db => db.AuditEvents.Where(e => e.EventType == "login" && e.ActorEmail == owner.Email).Select(e => e.RemoteAddress).ToListAsync());
        Assert.Equal([recorded], addresses.Select(a => a!.Replace("::ffff:", "")).ToList());
        var sessions = await app.DbAsync(db => db.Sessions.Select(s => s.RemoteAddress).ToListAsync());
        Assert.All(sessions, s => Assert.Equal(recorded, s!.Replace("::ffff:", "")));
    }
}
