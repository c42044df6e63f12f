using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Members;
using Orgstack.Tests.Support;
using static Orgstack.Tests.Support.SsoScenario;

namespace Orgstack.Tests.Sso;

/// <summary>
/// Single sign-on on PostgreSQL with two server nodes on one database: a sign-in started on one node finishes on the
/// other, a callback or an assertion ID is used once across both, and the sessions work on both.
/// </summary>
public sealed class SsoPostgresTests(SsoIdpFixture idps, PgServer pg) : IClassFixture<SsoIdpFixture>, IClassFixture<PgServer>, IAsyncLifetime
{
    private SsoAppFactory nodeA = null!;
    private SsoAppFactory nodeB = null!;

    private SsoAppFactory Node() => new SsoAppFactory().OnPostgres(pg.ConnectionString);

    public async Task InitializeAsync()
    {
        nodeA = Node();
        nodeB = Node();
        _ = nodeA.Services;
        _ = nodeB.Services;
        await idps.OidcModeAsync("none");
    }

    public Task DisposeAsync()
    {
        nodeA.Dispose();
        nodeB.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>SSO sessions of one organization (the database is shared by the tests of this class).</summary>
    private Task<int> SessionsAsync(string orgUid) =>
        nodeB.WithDbAsync(db => db.Sessions.CountAsync(s => s.Method == "sso" && s.SsoOrganizationUid == orgUid));

    private static string CorrelationOf(HttpResponseMessage response) =>
        response.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).First(c => c.StartsWith("orgstack_sso=", StringComparison.Ordinal));

    private static HttpClient Cookieless(AppFactory node) =>
        node.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

    private static async Task<HttpResponseMessage> CallbackAsync(AppFactory node, Uri back, string correlation)
    {
        using var client = Cookieless(node);
        using var request = new HttpRequestMessage(HttpMethod.Get, back.PathAndQuery);
        request.Headers.Add("Cookie", correlation);
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Pg_OidcSignIn_StartedOnNodeAFinishedOnNodeB_SignsInAndTheSessionWorksOnBothNodes()
    {
        var (org, owner) = await nodeA.OidcOrganizationAsync(idps);
        var email = await nodeA.InvitePersonAsync(org.Uid, owner);
        using var startClient = Cookieless(nodeA);
        using var start = await startClient.GetAsync($"/sso/{org.Uid}/oidc/start");
        using var op = new SsoBrowser(nodeB);
        var back = await op.OidcLoginAsync(start.Headers.Location!, email);

        using var done = await CallbackAsync(nodeB, back, CorrelationOf(start));

        var token = SsoSessionToken(done);
        foreach (var node in new AppFactory[] { nodeA, nodeB })
        {
            var api = node.Client();
            api.AuthToken = token;
            (await api.GetAsync($"/v3/organizations/{org.Uid}")).EnsureStatus(HttpStatusCode.OK);
        }
        Assert.Equal(MembershipStatus.Accepted, (await nodeA.MembershipAsync(org.Uid, email))!.Status);
        Assert.True(await nodeB.SsoLinkedAsync(org.Uid, email));
    }

    [Fact]
    public async Task Pg_O35_CallbackReplayedOnTheOtherNode_IsRejected()
    {
        var (org, owner) = await nodeA.OidcOrganizationAsync(idps);
        var email = await nodeA.InvitePersonAsync(org.Uid, owner);
        using var startClient = Cookieless(nodeA);
        using var start = await startClient.GetAsync($"/sso/{org.Uid}/oidc/start");
        using var op = new SsoBrowser(nodeA);
        var back = await op.OidcLoginAsync(start.Headers.Location!, email);
        SsoSessionToken(await CallbackAsync(nodeA, back, CorrelationOf(start)));

        SsoRefused(await CallbackAsync(nodeB, back, CorrelationOf(start)));

        Assert.Equal(1, await SessionsAsync(org.Uid));
    }

    [Fact]
    public async Task Pg_S21_AssertionIdReplayedOnTheOtherNode_IsRejected()
    {
        var (org, owner) = await nodeA.SamlOrganizationAsync(idps);
        var email = await nodeA.InvitePersonAsync(org.Uid, owner);
        var assertionId = "_pg" + Guid.NewGuid().ToString("n");
        using var browserA = new SsoBrowser(nodeA);
        using var browserB = new SsoBrowser(nodeB);
        var requestA = SsoBrowser.RequestIdOf(await browserA.StartAsync(org.Uid, "saml"));
        var requestB = SsoBrowser.RequestIdOf(await browserB.StartAsync(org.Uid, "saml"));
        SsoSessionToken(await browserA.PostAcsXmlAsync(org.Uid, await idps.SamlResponseXmlAsync(new { inResponseTo = requestA, nameId = email, assertionId })));

        SsoRefused(await browserB.PostAcsXmlAsync(org.Uid, await idps.SamlResponseXmlAsync(new { inResponseTo = requestB, nameId = email, assertionId })));

        Assert.Equal(1, await SessionsAsync(org.Uid));
    }

    [Fact]
    public async Task Pg_S21_SameAssertionPostedToBothNodesAtOnce_OnlyOneSignsIn()
    {
        var (org, owner) = await nodeA.SamlOrganizationAsync(idps);
        var email = await nodeA.InvitePersonAsync(org.Uid, owner);
        var assertionId = "_race" + Guid.NewGuid().ToString("n");
        var browsers = new[] { new SsoBrowser(nodeA), new SsoBrowser(nodeB) };
        try
        {
            var requests = new List<string>();
            foreach (var b in browsers) requests.Add(SsoBrowser.RequestIdOf(await b.StartAsync(org.Uid, "saml")));
            var responses = new List<string>();
            foreach (var r in requests) responses.Add(await idps.SamlResponseXmlAsync(new { inResponseTo = r, nameId = email, assertionId }));

            var results = await Task.WhenAll(browsers.Select((b, i) => b.PostAcsXmlAsync(org.Uid, responses[i])));

            Assert.Equal(1, results.Count(r => r.StatusCode == HttpStatusCode.Redirect));
            Assert.Equal(1, await SessionsAsync(org.Uid));
        }
        finally
        {
            foreach (var b in browsers) b.Dispose();
        }
    }
}
