using System.Net;
using System.Text;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Reliability;

/// <summary>Regression tests for what the reliability suites found.</summary>
public sealed class ReliabilityFixesTests(AppFactory app) : IClassFixture<AppFactory>
{
    [Fact]
    public async Task OrganizationWithPlan_AsMember_IsForbidden_ButThePlainOrganizationIsServed()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var email = MembersScenario.Unique("member");
        await app.Member(org.Uid, email).InviteAndAcceptAsync(owner);
        var member = await app.SignedInAsync(email);

        (await member.GetAsync($"/v3/organizations/{org.Uid}?include_plan=true")).EnsureError(HttpStatusCode.Forbidden);
        var plain = (await member.GetAsync($"/v3/organizations/{org.Uid}")).EnsureStatus(HttpStatusCode.OK).Json;
        Assert.Null(plain["organization"]!["plan"]);

        var ownerClient = await app.SignedInAsync(owner.Email);
        var withPlan = (await ownerClient.GetAsync($"/v3/organizations/{org.Uid}?include_plan=true")).EnsureStatus(HttpStatusCode.OK).Json;
        Assert.NotNull(withPlan["organization"]!["plan"]);
    }

    [Theory]
    [InlineData("/v3/user/forgot_password")]
    [InlineData("/v3/user-session")]
    public async Task BodyWithoutContentType_Answers415_InTheErrorShape(string path)
    {
        var client = app.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"user":{"email":"a@example.test"}}""")) };
        using var response = await client.Http.SendAsync(request);
        new ApiResponse(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType).EnsureError(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task InviteBodyWithoutContentType_Answers415_AndInvitesNobody()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var client = await app.SignedInAsync(owner.Email);
        var email = MembersScenario.Unique("invitee");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v3/organizations/{org.Uid}/share")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"share\":{\"users\":{\"" + email + "\":[\"member\"]}}}")),
        };
        request.Headers.TryAddWithoutValidation("authtoken", client.AuthToken);
        using var response = await client.Http.SendAsync(request);
        new ApiResponse(response.StatusCode, await response.Content.ReadAsStringAsync(), null).EnsureError(HttpStatusCode.UnsupportedMediaType);
        Assert.Null(await app.MembershipAsync(org.Uid, email));
    }

    [Fact]
    public async Task BodyOverTheLimit_Answers413_InTheErrorShape()
    {
        var client = app.Client();
        var response = await client.PostAsync("/v3/user-session", "{\"pad\":\"" + new string('a', 3 * 1024 * 1024) + "\"}");
        response.EnsureError(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task BulkInvite_OfTenThousandAddresses_IsUnderItsOwnLimit()
    {
        var users = string.Join(",", Enumerable.Range(0, 10_000).Select(i => $"\"someone.with.a.long.name-{i:D5}@a-rather-long-company-domain.example\":[\"blt0123456789abcdef_member\"]"));
        var stacks = string.Join(",", Enumerable.Range(0, 10_000).Select(i => $"\"someone.with.a.long.name-{i:D5}@a-rather-long-company-domain.example\":{{\"blt0123456789abcdef\":[\"blt0123456789abcdef\"]}}"));
        var body = "{\"share\":{\"users\":{" + users + "},\"stacks\":{" + stacks + "}}}";
        // Larger than the general limit: the bulk invite needs (and has) its own.
        Assert.True(Encoding.UTF8.GetByteCount(body) > Orgstack.Server.Hosting.RequestLimitsModule.DefaultMaxBodyBytes);
        Assert.True(Encoding.UTF8.GetByteCount(body) < Orgstack.Server.Hosting.RequestLimitsModule.DefaultMaxInviteBodyBytes / 4);
        // Not signed in: the size check passes and the request reaches authentication.
        var response = await app.Client().PostAsync("/v3/organizations/blt0000000000000000/share", body);
        response.EnsureError(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ProfileUpdate_WithoutUser_Is422_AndAuditsNothing()
    {
        var (_, owner) = await app.NewOrganizationAsync();
        var client = await app.SignedInAsync(owner.Email);
        (await client.PutAsync("/v3/user", new { })).EnsureError(HttpStatusCode.UnprocessableEntity);
    }
}
