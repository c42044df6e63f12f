using System.Net;
using Orgstack.Core.Organizations;
using Orgstack.Core.Stacks;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Stacks;

/// <summary>Every stack endpoint for every kind of caller, each on a fresh organization and stack.</summary>
public sealed class StackAuthorizationMatrixTests(AppFactory app) : IClassFixture<AppFactory>
{
    public enum Caller
    {
        Owner,
        OrgAdminWithoutRole,
        MemberWithStackAdminRole,
        MemberWithDeveloperRole,
        MemberWithoutRole,
        OtherOrganizationsOwner,
        Anonymous,
    }

    private const int Reach = 0, Manage = 1, Delete = 2, OrgAdmin = 3;

    // Expected status per caller, in the order of the Caller enum.
    private static readonly Dictionary<int, int[]> Expected = new()
    {
        [Reach] = [200, 403, 200, 200, 412, 412, 401],
        [Manage] = [200, 200, 200, 403, 412, 412, 401],
        [Delete] = [200, 200, 403, 403, 412, 412, 401],
        [OrgAdmin] = [200, 200, 403, 403, 403, 404, 401],
    };

    private static readonly (string Name, int Kind)[] Endpoints =
    [
        ("GET /stacks", Reach), ("GET /stacks?include_collaborators=true", Reach), ("GET /stacks/users", Reach), ("GET /roles", Reach), ("GET /roles/{uid}", Reach),
        ("PUT /stacks", Manage), ("POST /stacks/share", Manage), ("POST /stacks/unshare", Manage), ("POST /stacks/users/roles", Manage),
        ("POST /roles", Manage), ("PUT /roles/{uid}", Manage), ("DELETE /roles/{uid}", Manage),
        ("DELETE /stacks", Delete),
        ("GET /organizations/{org}/stacks", OrgAdmin), ("POST /stacks", OrgAdmin),
    ];

    public static TheoryData<string, Caller, int> Cases()
    {
        var data = new TheoryData<string, Caller, int>();
        foreach (var (name, kind) in Endpoints)
            foreach (var caller in Enum.GetValues<Caller>())
                data.Add(name, caller, Expected[kind][(int)caller]);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Endpoint_ForEachKindOfCaller_AnswersTheExpectedStatus(string endpoint, Caller caller, int expected)
    {
        var org = await app.CreateStackOrgAsync();
        var other = await app.CreateStackOrgAsync("Other");
        var stack = await app.CreateStackAsync(org);
        var target = await app.Member(org.Uid).AddAsync();
        await app.GiveRoleAsync(stack, target, BuiltInRoles.ContentManager);
        var custom = (await app.RunAsync<CreateStackRole, Orgstack.Core.Common.Result<StackRoleView>>(u =>
            u.HandleAsync(new CreateStackRole.Request(stack.ApiKey, "Custom", null, StackScenario.BranchRules()), org.Owner.Actor, CancellationToken.None))).Value.Role;
        var developer = await app.RoleAsync(stack, BuiltInRoles.Developer);

        Person? person = caller switch
        {
            Caller.Owner => org.Owner,
            Caller.OrgAdminWithoutRole => await app.Member(org.Uid, OrgRole.Admin).AddAsync(),
            Caller.MemberWithStackAdminRole => await app.Member(org.Uid).AddAsync(),
            Caller.MemberWithDeveloperRole => await app.Member(org.Uid).AddAsync(),
            Caller.MemberWithoutRole => await app.Member(org.Uid).AddAsync(),
            Caller.OtherOrganizationsOwner => other.Owner,
            _ => null,
        };
        if (caller == Caller.MemberWithStackAdminRole) await app.GiveRoleAsync(stack, person!, BuiltInRoles.Admin);
        if (caller == Caller.MemberWithDeveloperRole) await app.GiveRoleAsync(stack, person!, BuiltInRoles.Developer);
        var client = person is null ? app.Client() : await app.SignedInAsync(person.Email);
        var key = StackScenario.ApiKey(stack);

        var response = endpoint switch
        {
            "GET /stacks" => await client.GetAsync("/v3/stacks", key),
            "GET /stacks?include_collaborators=true" => await client.GetAsync("/v3/stacks?include_collaborators=true", key),
            "GET /stacks/users" => await client.GetAsync("/v3/stacks/users", key),
            "GET /roles" => await client.GetAsync("/v3/roles", key),
            "GET /roles/{uid}" => await client.GetAsync($"/v3/roles/{developer.Uid}", key),
            "PUT /stacks" => await client.PutAsync("/v3/stacks", new { stack = new { name = "Renamed" } }, key),
            "POST /stacks/share" => await client.PostAsync("/v3/stacks/share",
                new { emails = new[] { target.Email }, roles = new Dictionary<string, string[]> { [target.Email] = [developer.Uid] } }, key),
            "POST /stacks/unshare" => await client.PostAsync("/v3/stacks/unshare", new { email = target.Email }, key),
            "POST /stacks/users/roles" => await client.PostAsync("/v3/stacks/users/roles",
                new { users = new Dictionary<string, string[]> { [target.UserUid] = [developer.Uid] } }, key),
            "POST /roles" => await client.PostAsync("/v3/roles", new { role = new { name = "Another", rules = StackScenario.BranchRules() } }, key),
            "PUT /roles/{uid}" => await client.PutAsync($"/v3/roles/{custom.Uid}", new { role = new { name = "Changed" } }, key),
            "DELETE /roles/{uid}" => await client.DeleteAsync($"/v3/roles/{custom.Uid}", headers: key),
            "DELETE /stacks" => await client.DeleteAsync("/v3/stacks", headers: key),
            "GET /organizations/{org}/stacks" => await client.GetAsync($"/v3/organizations/{org.Uid}/stacks"),
            "POST /stacks" => await client.PostAsync("/v3/stacks", new { stack = new { name = "New" } }, new Dictionary<string, string> { ["organization_uid"] = org.Uid }),
            _ => throw new ArgumentOutOfRangeException(nameof(endpoint)),
        };

        if (expected is 200 && endpoint is "POST /roles" or "POST /stacks") expected = 201;
        if (expected >= 400) response.EnsureError((HttpStatusCode)expected);
        else response.EnsureStatus((HttpStatusCode)expected);
    }
}
