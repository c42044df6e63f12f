using System.Net;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Organizations;
using Orgstack.Core.Stacks;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Stacks;

/// <summary>Malformed and hostile bodies and parameters on every stack endpoint: always a 4xx in the error shape, nothing changed.</summary>
public sealed class StackHostileInputTests(AppFactory app) : IClassFixture<AppFactory>
{
    private static readonly string[] Bodies =
    [
        "", "null", "[]", "1", "\"x\"", "{}", "{\"stack\":null}", "{\"stack\":[]}", "{\"stack\":{\"name\":null}}",
        "{\"stack\":{\"name\":\"" + new string('a', 10_000) + "\"}}", "{\"stack\":{\"name\":\"\\u0000\"}}", "{\"stack\":{\"name\":\"x\",\"description\":{}}}",
        "{\"emails\":null,\"roles\":null}", "{\"emails\":[null]}", "{\"emails\":[\"" + new string('b', 5000) + "@x.co\"],\"roles\":{}}",
        "{\"roles\":{\"a@b.co\":null}}", "{\"roles\":{\"a@b.co\":[null]}}", "{\"users\":{\"\":[\"\"]}}", "{\"users\":{\"x\":[null]}}",
        "{\"users\":[]}", "{\"users\":{}}", "{\"email\":123}", "{\"email\":\"\"}", "{\"role\":{\"name\":\"x\",\"rules\":null}}",
        "{\"role\":{\"name\":\"x\",\"rules\":\"[]\"}}", "{\"role\":{\"name\":\"\",\"rules\":[]}}", "{\"role\":{\"name\":\"x\",\"rules\":[[]]}}",
        new string('[', 200) + new string(']', 200), "{\"stack\":" + new string('[', 100) + new string(']', 100) + "}",
        "{\"role\":{\"name\":\"Admin\"}}", "{\"stack\":{\"name\":\"ok\",\"master_locale\":\"FR fr\"}}",
    ];

    private static readonly (string Method, string Path)[] Writes =
    [
        ("POST", "/v3/stacks"), ("PUT", "/v3/stacks"), ("POST", "/v3/stacks/share"), ("POST", "/v3/stacks/unshare"),
        ("POST", "/v3/stacks/users/roles"), ("POST", "/v3/roles"), ("PUT", "/v3/roles/{builtin}"), ("PUT", "/v3/roles/{custom}"),
    ];

    [Fact]
    public async Task HostileBodies_OnEveryWriteEndpoint_NeverAnswer5xx_AndChangeNothing()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);
        await app.GiveRoleAsync(stack, member, BuiltInRoles.Developer);
        var builtin = await app.RoleAsync(stack, BuiltInRoles.Admin);
        var custom = (await app.RunAsync<CreateStackRole, Orgstack.Core.Common.Result<StackRoleView>>(u =>
            u.HandleAsync(new CreateStackRole.Request(stack.ApiKey, "Custom", null, StackScenario.BranchRules()), org.Owner.Actor, CancellationToken.None))).Value.Role;
        var client = await app.SignedInAsync(org.Owner.Email);
        var headers = new Dictionary<string, string> { ["api_key"] = stack.ApiKey, ["organization_uid"] = org.Uid };
        var auditBefore = await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.OrganizationUid == org.Uid));

        foreach (var (method, path) in Writes)
            foreach (var body in Bodies)
            {
                var url = path.Replace("{builtin}", builtin.Uid).Replace("{custom}", custom.Uid);
                var response = await client.SendAsync(new HttpMethod(method), url, body, headers);
                var status = (int)response.Status;
                // A body that changes nothing (e.g. PUT with "name": null) may answer 200; none may fail with 5xx or change anything.
                Assert.True(status < 500 && (status >= 400 || method == "PUT"), $"{method} {path} with {Clip(body)} answered {status}: {Clip(response.Body)}");
                if (status >= 400) response.EnsureError(response.Status);
            }

        Assert.Equal(auditBefore, await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.OrganizationUid == org.Uid)));
        Assert.Equal(1, await app.WithDbAsync(db => db.Stacks.CountAsync(s => s.OrganizationUid == org.Uid)));
        Assert.Equal("Website", (await app.WithDbAsync(db => db.Stacks.AsNoTracking().FirstAsync(s => s.Uid == stack.Uid))).Name);
        Assert.Equal(4, await app.WithDbAsync(db => db.StackRoles.CountAsync(r => r.StackUid == stack.Uid)));
        Assert.Equal(2, await app.WithDbAsync(db => db.StackRoleAssignments.CountAsync(a => a.StackUid == stack.Uid)));
    }

    [Theory]
    [InlineData("/v3/stacks?skip=-1")]
    [InlineData("/v3/stacks?limit=0")]
    [InlineData("/v3/stacks?skip=99999999999")]
    [InlineData("/v3/stacks?query=%5B%5D")]
    [InlineData("/v3/stacks?query=%7B%22org_uid%22%3A5%7D")]
    [InlineData("/v3/roles?query=%7B%22name%22%3A%5B%5D%7D")]
    [InlineData("/v3/roles?limit=abc")]
    public async Task HostileQueryParameters_Answer4xx(string url)
    {
        var org = await app.CreateStackOrgAsync();
        var stack = await app.CreateStackAsync(org);
        var client = await app.SignedInAsync(org.Owner.Email);
        var headers = url.StartsWith("/v3/roles") ? StackScenario.ApiKey(stack) : null;

        var response = await client.GetAsync(url, headers);

        Assert.InRange((int)response.Status, 400, 499);
        response.EnsureError(response.Status);
    }

    [Fact]
    public async Task HugeRoleUidOrSkip_AreHandled()
    {
        var org = await app.CreateStackOrgAsync();
        var stack = await app.CreateStackAsync(org);
        var client = await app.SignedInAsync(org.Owner.Email);

        (await client.GetAsync("/v3/roles/" + new string('z', 2000), StackScenario.ApiKey(stack))).EnsureError(HttpStatusCode.NotFound);
        Assert.Empty((await client.GetAsync("/v3/stacks?skip=2147483647")).EnsureStatus(HttpStatusCode.OK).Json["stacks"]!.AsArray());
        Assert.Empty((await client.GetAsync($"/v3/organizations/{org.Uid}/stacks?skip=2147483647&limit=100")).EnsureStatus(HttpStatusCode.OK).Json["stacks"]!.AsArray());
    }

    private static string Clip(string value) => value.Length > 120 ? value[..120] + "…" : value;
}
