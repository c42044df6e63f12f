using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Organizations;
using Orgstack.Core.Stacks;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Stacks;

/// <summary>/v3/stacks/share, /unshare, /users/roles and /v3/roles as the Contentstack SDK calls them.</summary>
public sealed class StackShareAndRoleApiTests(AppFactory app) : IClassFixture<AppFactory>
{
    [Fact]
    public async Task SharingAStack_WithAMember_GivesThemAccess_AndUnsharingTakesItAwayImmediately()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);
        var developer = await app.RoleAsync(stack, BuiltInRoles.Developer);
        var owner = await app.SignedInAsync(org.Owner.Email);
        var memberClient = await app.SignedInAsync(member.Email);
        (await memberClient.GetAsync("/v3/stacks", StackScenario.ApiKey(stack))).EnsureError(HttpStatusCode.PreconditionFailed);

        var shared = (await owner.PostAsync("/v3/stacks/share", new Dictionary<string, object>
        {
            ["emails"] = new[] { member.Email },
            ["roles"] = new Dictionary<string, string[]> { [member.Email] = [developer.Uid] },
        }, StackScenario.ApiKey(stack))).EnsureStatus(HttpStatusCode.OK).Json;

        Assert.Equal("The invitation has been sent successfully.", shared["notice"]!.GetValue<string>());
        Assert.Equal(developer.Uid, shared["shares"]![0]!["roles"]![0]!.GetValue<string>());
        (await memberClient.GetAsync("/v3/stacks", StackScenario.ApiKey(stack))).EnsureStatus(HttpStatusCode.OK);

        var unshared = (await owner.PostAsync("/v3/stacks/unshare", new { email = member.Email }, StackScenario.ApiKey(stack))).EnsureStatus(HttpStatusCode.OK).Json;

        Assert.Equal("The stack has been successfully unshared.", unshared["notice"]!.GetValue<string>());
        (await memberClient.GetAsync("/v3/stacks", StackScenario.ApiKey(stack))).EnsureError(HttpStatusCode.PreconditionFailed);
        Assert.Empty((await memberClient.GetAsync("/v3/stacks")).Json["stacks"]!.AsArray());
    }

    [Fact]
    public async Task SharingAStack_WithSomebodyOutsideTheOrganization_IsRefusedForThatAddress()
    {
        var org = await app.CreateStackOrgAsync();
        var other = await app.CreateStackOrgAsync("Other");
        var member = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);
        var owner = await app.SignedInAsync(org.Owner.Email);

        var alone = (await owner.PostAsync("/v3/stacks/share", new Dictionary<string, object>
        {
            ["emails"] = new[] { other.Owner.Email },
            ["roles"] = new Dictionary<string, string[]> { [other.Owner.Email] = ["Developer"] },
        }, StackScenario.ApiKey(stack))).EnsureError(HttpStatusCode.UnprocessableEntity);
        var mixed = (await owner.PostAsync("/v3/stacks/share", new Dictionary<string, object>
        {
            ["emails"] = new[] { other.Owner.Email, member.Email },
            ["roles"] = new Dictionary<string, string[]> { [other.Owner.Email] = ["Developer"], [member.Email] = ["Developer"] },
        }, StackScenario.ApiKey(stack))).EnsureStatus(HttpStatusCode.OK).Json;

        Assert.NotNull(alone["errors"]![other.Owner.Email]);
        Assert.Single(mixed["shares"]!.AsArray());
        Assert.NotNull(mixed["errors"]![other.Owner.Email]);
        Assert.Equal(0, await app.WithDbAsync(db => db.StackRoleAssignments.CountAsync(a => a.MembershipUid == other.Owner.MembershipUid)));
    }

    [Theory]
    [InlineData("{\"emails\":\"a@b.co\"}")]
    [InlineData("{\"emails\":[1]}")]
    [InlineData("{\"emails\":[\"a@b.co\"],\"roles\":[\"x\"]}")]
    [InlineData("{\"emails\":[\"a@b.co\"],\"roles\":{\"a@b.co\":\"x\"}}")]
    public async Task SharingAStack_WithWrongTypes_Answers422(string body)
    {
        var org = await app.CreateStackOrgAsync();
        var stack = await app.CreateStackAsync(org);
        var owner = await app.SignedInAsync(org.Owner.Email);

        (await owner.PostAsync("/v3/stacks/share", body, StackScenario.ApiKey(stack))).EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task SettingUserRoles_ReplacesThem_AndAnswersTheAppliedRoles()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);
        await app.GiveRoleAsync(stack, member, BuiltInRoles.Developer);
        var manager = await app.RoleAsync(stack, BuiltInRoles.ContentManager);
        var owner = await app.SignedInAsync(org.Owner.Email);

        var json = (await owner.PostAsync("/v3/stacks/users/roles",
            new { users = new Dictionary<string, string[]> { [member.UserUid] = [manager.Uid] } }, StackScenario.ApiKey(stack))).EnsureStatus(HttpStatusCode.OK).Json;
        var bad = await owner.PostAsync("/v3/stacks/users/roles",
            new { users = new Dictionary<string, string[]> { ["bltnosuchuser000000"] = [manager.Uid] } }, StackScenario.ApiKey(stack));

        Assert.Equal("The roles were applied successfully.", json["notice"]!.GetValue<string>());
        Assert.Equal(member.UserUid, json["users"]![0]!["uid"]!.GetValue<string>());
        Assert.Equal(manager.Uid, json["users"]![0]!["roles"]![0]!.GetValue<string>());
        Assert.NotNull(bad.EnsureError(HttpStatusCode.UnprocessableEntity)["errors"]!["bltnosuchuser000000"]);
        var users = (await owner.GetAsync("/v3/stacks/users", StackScenario.ApiKey(stack))).Json["users"]!.AsArray();
        Assert.Equal(["Content Manager"], users.Single(u => u!["uid"]!.GetValue<string>() == member.UserUid)!["roles"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()).ToArray());
    }

    [Fact]
    public async Task ListingRoles_AnswersBuiltInsWithStackAndUsers_AndRulesOnlyWhenAsked()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);
        await app.GiveRoleAsync(stack, member, BuiltInRoles.Developer);
        var client = await app.SignedInAsync(member.Email);

        var plain = (await client.GetAsync("/v3/roles?include_count=true", StackScenario.ApiKey(stack))).EnsureStatus(HttpStatusCode.OK).Json;
        var withRules = (await client.GetAsync("/v3/roles?include_rules=true", StackScenario.ApiKey(stack))).EnsureStatus(HttpStatusCode.OK).Json;
        var byName = (await client.GetAsync("/v3/roles?query=" + Uri.EscapeDataString("{\"name\":\"Developer\"}"), StackScenario.ApiKey(stack))).EnsureStatus(HttpStatusCode.OK).Json;

        var roles = plain["roles"]!.AsArray();
        Assert.Equal(3, plain["count"]!.GetValue<int>());
        Assert.Equal(["Admin", "Content Manager", "Developer"], roles.Select(r => r!["name"]!.GetValue<string>()).ToArray());
        var developer = roles.Single(r => r!["name"]!.GetValue<string>() == "Developer")!;
        Assert.Equal([member.UserUid], developer["users"]!.AsArray().Select(u => u!.GetValue<string>()).ToArray());
        Assert.Equal(stack.ApiKey, developer["stack"]!["api_key"]!.GetValue<string>());
        Assert.Equal(stack.Name, developer["stack"]!["name"]!.GetValue<string>());
        Assert.Equal(org.Uid, developer["stack"]!["org_uid"]!.GetValue<string>());
        Assert.Equal("en-us", developer["stack"]!["master_locale"]!.GetValue<string>());
        Assert.Null(developer["rules"]);
        Assert.All(withRules["roles"]!.AsArray(), r => Assert.NotEmpty(r!["rules"]!.AsArray()));
        Assert.Equal("Developer", Assert.Single(byName["roles"]!.AsArray())!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task CustomRole_CrudThroughTheApi_Works()
    {
        var org = await app.CreateStackOrgAsync();
        var stack = await app.CreateStackAsync(org);
        var client = await app.SignedInAsync(org.Owner.Email);
        var key = StackScenario.ApiKey(stack);
        var rules = JsonNode.Parse("""[{"module":"branch","branches":["main"],"acl":{"read":true}},{"module":"content_type","content_types":["$all"],"acl":{"read":true,"sub_acl":{"read":true}}}]""")!;

        var created = (await client.PostAsync("/v3/roles", new JsonObject
        {
            ["role"] = new JsonObject { ["name"] = "Regional Custom Role", ["description"] = "", ["rules"] = rules.DeepClone(), ["users"] = new JsonArray(), ["uid"] = "ignored" },
        }.ToJsonString(), key)).EnsureStatus(HttpStatusCode.Created).Json;
        var uid = created["role"]!["uid"]!.GetValue<string>();
        var fetched = (await client.GetAsync($"/v3/roles/{uid}?include_rules=true", key)).EnsureStatus(HttpStatusCode.OK).Json["role"]!;
        var echoed = fetched.AsObject().DeepClone().AsObject();
        echoed["name"] = "Renamed Role";
        var updated = (await client.PutAsync($"/v3/roles/{uid}", new JsonObject { ["role"] = echoed }.ToJsonString(), key)).EnsureStatus(HttpStatusCode.OK).Json;
        var deleted = (await client.DeleteAsync($"/v3/roles/{uid}", headers: key)).EnsureStatus(HttpStatusCode.OK).Json;

        Assert.Equal("The role created successfully.", created["notice"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(rules, created["role"]!["rules"]));
        Assert.Equal("Regional Custom Role", fetched["name"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(rules, fetched["rules"]));
        Assert.Equal("The role updated successfully.", updated["notice"]!.GetValue<string>());
        Assert.Equal("Renamed Role", updated["role"]!["name"]!.GetValue<string>());
        Assert.Equal("The role deleted successfully.", deleted["notice"]!.GetValue<string>());
        (await client.GetAsync($"/v3/roles/{uid}", key)).EnsureError(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task BuiltInRole_CannotBeDeletedOrChangedThroughTheApi()
    {
        var org = await app.CreateStackOrgAsync();
        var stack = await app.CreateStackAsync(org);
        var admin = await app.RoleAsync(stack, BuiltInRoles.Admin);
        var client = await app.SignedInAsync(org.Owner.Email);

        (await client.DeleteAsync($"/v3/roles/{admin.Uid}", headers: StackScenario.ApiKey(stack))).EnsureError(HttpStatusCode.Forbidden);
        (await client.PutAsync($"/v3/roles/{admin.Uid}", new { role = new { name = "Boss" } }, StackScenario.ApiKey(stack))).EnsureError(HttpStatusCode.Forbidden);
        Assert.Equal("Admin", (await app.RoleAsync(stack, BuiltInRoles.Admin)).Name);
    }

    [Fact]
    public async Task DeletingACustomRole_HeldByAUser_Answers409WithTheCount()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);
        var client = await app.SignedInAsync(org.Owner.Email);
        var uid = (await client.PostAsync("/v3/roles", new { role = new { name = "Held", rules = StackScenario.BranchRules() } }, StackScenario.ApiKey(stack)))
            .EnsureStatus(HttpStatusCode.Created).Json["role"]!["uid"]!.GetValue<string>();
        await app.GiveRoleAsync(stack, member, "Held");

        var body = (await client.DeleteAsync($"/v3/roles/{uid}", headers: StackScenario.ApiKey(stack))).EnsureError(HttpStatusCode.Conflict);

        Assert.Contains("held by 1 user", body["error_message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"role\":{\"rules\":[]}}")]
    [InlineData("{\"role\":{\"name\":\"x\",\"rules\":{\"module\":\"a\"}}}")]
    [InlineData("{\"role\":{\"name\":\"x\",\"rules\":[{\"acl\":{}}]}}")]
    [InlineData("{\"role\":{\"name\":[\"x\"]}}")]
    [InlineData("{\"role\":{\"name\":\"Developer\"}}")]
    [InlineData("{\"role\":{\"name\":\"x\",\"rules\":[{\"module\":\"asset\",\"assets\":[\"$all\"]}]}}")]
    public async Task CreatingARole_WithInvalidInput_Answers422AndCreatesNothing(string body)
    {
        var org = await app.CreateStackOrgAsync();
        var stack = await app.CreateStackAsync(org);
        var client = await app.SignedInAsync(org.Owner.Email);

        (await client.PostAsync("/v3/roles", body, StackScenario.ApiKey(stack))).EnsureError(HttpStatusCode.UnprocessableEntity);

        Assert.Equal(3, await app.WithDbAsync(db => db.StackRoles.CountAsync(r => r.StackUid == stack.Uid)));
    }

    [Fact]
    public async Task CreatingARole_WithoutABranchRule_Answers422UnderRulesBranch()
    {
        var org = await app.CreateStackOrgAsync();
        var stack = await app.CreateStackAsync(org);
        var client = await app.SignedInAsync(org.Owner.Email);

        var body = (await client.PostAsync("/v3/roles", new { role = new { name = "No branch", rules = new[] { new { module = "asset", assets = new[] { "$all" } } } } },
            StackScenario.ApiKey(stack))).EnsureError(HttpStatusCode.UnprocessableEntity);

        Assert.NotNull(body["errors"]!["rules.branch"]);
    }

    [Fact]
    public async Task RoleEndpoints_AsDeveloper_ReadButCannotWrite()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);
        await app.GiveRoleAsync(stack, member, BuiltInRoles.Developer);
        var client = await app.SignedInAsync(member.Email);

        (await client.GetAsync("/v3/roles", StackScenario.ApiKey(stack))).EnsureStatus(HttpStatusCode.OK);
        (await client.PostAsync("/v3/roles", new { role = new { name = "Mine" } }, StackScenario.ApiKey(stack))).EnsureError(HttpStatusCode.Forbidden);
        (await client.PostAsync("/v3/stacks/share", new { emails = new[] { org.Owner.Email } }, StackScenario.ApiKey(stack))).EnsureError(HttpStatusCode.Forbidden);
        (await client.PostAsync("/v3/stacks/unshare", new { email = org.Owner.Email }, StackScenario.ApiKey(stack))).EnsureError(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task StackChanges_ThroughTheApi_WriteAuditEventsNamingTheActor()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var client = await app.SignedInAsync(org.Owner.Email);
        var apiKey = (await client.PostAsync("/v3/stacks", new { stack = new { name = "Audited" } }, new Dictionary<string, string> { ["organization_uid"] = org.Uid }))
            .EnsureStatus(HttpStatusCode.Created).Json["stack"]!["api_key"]!.GetValue<string>();
        var key = new Dictionary<string, string> { ["api_key"] = apiKey };

        (await client.PostAsync("/v3/stacks/share", new { emails = new[] { member.Email }, roles = new Dictionary<string, string[]> { [member.Email] = ["Developer"] } }, key)).EnsureStatus(HttpStatusCode.OK);
        (await client.PostAsync("/v3/stacks/unshare", new { email = member.Email }, key)).EnsureStatus(HttpStatusCode.OK);
        (await client.PostAsync("/v3/roles", new { role = new { name = "Audited role", rules = StackScenario.BranchRules() } }, key)).EnsureStatus(HttpStatusCode.Created);
        (await client.DeleteAsync("/v3/stacks", headers: key)).EnsureStatus(HttpStatusCode.OK);

        var events = await app.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(e => e.OrganizationUid == org.Uid && (e.Module == "stack" || e.Module == "role")).ToListAsync());
        Assert.Equal(["role/create", "stack/create", "stack/delete", "stack/share", "stack/unshare"], events.Select(e => $"{e.Module}/{e.EventType}").Order().ToArray());
        Assert.All(events, e => Assert.Equal(org.Owner.UserUid, e.ActorUserUid));
    }
}
