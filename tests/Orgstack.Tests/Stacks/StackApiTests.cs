using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Organizations;
using Orgstack.Core.Stacks;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Stacks;

/// <summary>The /v3 stack endpoints as the Contentstack SDK and CLI call them.</summary>
public sealed class StackApiTests(AppFactory app) : IClassFixture<AppFactory>
{
    private static Dictionary<string, string> Org(StackOrg org) => new() { ["organization_uid"] = org.Uid };

    private static void AssertInvalidApiKey(ApiResponse response)
    {
        var body = response.EnsureError(HttpStatusCode.PreconditionFailed);
        Assert.Equal(109, body["error_code"]!.GetValue<int>());
        Assert.Equal("is not valid.", body["errors"]!["api_key"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatingAStack_WithTheOrganizationHeader_Answers201WithNoticeAndStack()
    {
        var org = await app.CreateStackOrgAsync();
        var client = await app.SignedInAsync(org.Owner.Email);

        var response = await client.PostAsync("/v3/stacks", new { stack = new { name = "My New Stack", description = "My new test stack", master_locale = "en-us" } }, Org(org));

        var json = response.EnsureStatus(HttpStatusCode.Created).Json;
        Assert.Equal("Stack created successfully.", json["notice"]!.GetValue<string>());
        var stack = json["stack"]!;
        Assert.Equal("My New Stack", stack["name"]!.GetValue<string>());
        Assert.Equal(org.Uid, stack["org_uid"]!.GetValue<string>());
        Assert.Equal("en-us", stack["master_locale"]!.GetValue<string>());
        Assert.Equal(org.Owner.UserUid, stack["owner_uid"]!.GetValue<string>());
        Assert.StartsWith("blt", stack["api_key"]!.GetValue<string>());
        Assert.NotNull(stack["uid"]);
        Assert.NotNull(stack["SYS_ACL"]!.AsObject());
        Assert.NotNull(stack["settings"]!.AsObject());
        Assert.Contains(org.Owner.UserUid, stack["user_uids"]!.AsArray().Select(u => u!.GetValue<string>()));
    }

    [Fact]
    public async Task CreatingAStack_WithTheOrganizationQueryParameter_Answers201()
    {
        var org = await app.CreateStackOrgAsync();
        var client = await app.SignedInAsync(org.Owner.Email);

        var response = await client.PostAsync($"/v3/stacks?organization_uid={org.Uid}", new { stack = new { name = "Seeded" } });

        Assert.Equal(org.Uid, response.EnsureStatus(HttpStatusCode.Created).Json["stack"]!["org_uid"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatingAStack_WithoutOrganization_Answers422()
    {
        var org = await app.CreateStackOrgAsync();
        var client = await app.SignedInAsync(org.Owner.Email);

        var body = (await client.PostAsync("/v3/stacks", new { stack = new { name = "Lost" } })).EnsureError(HttpStatusCode.UnprocessableEntity);

        Assert.NotNull(body["errors"]!["organization_uid"]);
    }

    [Fact]
    public async Task CreatingAStack_AsMember_Answers403()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var client = await app.SignedInAsync(member.Email);

        (await client.PostAsync("/v3/stacks", new { stack = new { name = "Nope" } }, Org(org))).EnsureError(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task CreatingAStack_InAnOrganizationIDoNotBelongTo_Answers404()
    {
        var org = await app.CreateStackOrgAsync();
        var other = await app.CreateStackOrgAsync("Other");
        var client = await app.SignedInAsync(other.Owner.Email);

        (await client.PostAsync("/v3/stacks", new { stack = new { name = "Nope" } }, Org(org))).EnsureError(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task CreatingAStack_WhenTheLimitIsReached_Answers422WithAClearMessage()
    {
        var org = await app.CreateStackOrgAsync();
        await app.RunAsync<SetPlan, Result<Organization>>(u => u.HandleAsync(new SetPlan.Request(org.Uid, null, null, null, 1, null), Actor.System(), CancellationToken.None));
        var client = await app.SignedInAsync(org.Owner.Email);
        (await client.PostAsync("/v3/stacks", new { stack = new { name = "One" } }, Org(org))).EnsureStatus(HttpStatusCode.Created);

        var body = (await client.PostAsync("/v3/stacks", new { stack = new { name = "Two" } }, Org(org))).EnsureError(HttpStatusCode.UnprocessableEntity);

        Assert.Contains("limit of 1 stack", body["error_message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{\"stack\":{\"name\":\"x\"")]
    [InlineData("[1,2]")]
    public async Task CreatingAStack_WithMalformedJson_Answers400(string body)
    {
        var org = await app.CreateStackOrgAsync();
        var client = await app.SignedInAsync(org.Owner.Email);

        (await client.PostAsync("/v3/stacks", body, Org(org))).EnsureError(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"stack\":\"x\"}")]
    [InlineData("{\"stack\":{\"name\":5}}")]
    [InlineData("{\"stack\":{\"name\":\"\"}}")]
    [InlineData("{\"stack\":{\"name\":\"ok\",\"master_locale\":\"<script>\"}}")]
    public async Task CreatingAStack_WithInvalidFields_Answers422AndCreatesNothing(string body)
    {
        var org = await app.CreateStackOrgAsync();
        var client = await app.SignedInAsync(org.Owner.Email);

        (await client.PostAsync("/v3/stacks", body, Org(org))).EnsureError(HttpStatusCode.UnprocessableEntity);

        Assert.Equal(0, await app.WithDbAsync(db => db.Stacks.CountAsync(s => s.OrganizationUid == org.Uid)));
    }

    [Fact]
    public async Task StackEndpoints_WithoutASession_Answer401()
    {
        var client = app.Client();

        (await client.GetAsync("/v3/stacks")).EnsureError(HttpStatusCode.Unauthorized);
        (await client.GetAsync("/v3/roles", new Dictionary<string, string> { ["api_key"] = "blt0000000000000000" })).EnsureError(HttpStatusCode.Unauthorized);
        (await client.PostAsync("/v3/stacks/share", new { emails = new[] { "a@b.co" } })).EnsureError(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task FetchingAStack_WithApiKey_AnswersTheStackWithCollaborators()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);
        await app.GiveRoleAsync(stack, member, BuiltInRoles.Developer);
        var client = await app.SignedInAsync(member.Email);

        var plain = (await client.GetAsync("/v3/stacks", StackScenario.ApiKey(stack))).EnsureStatus(HttpStatusCode.OK).Json["stack"]!;
        var withUsers = (await client.GetAsync("/v3/stacks?include_collaborators=true", StackScenario.ApiKey(stack))).EnsureStatus(HttpStatusCode.OK).Json["stack"]!;
        var trailingSlash = (await client.GetAsync("/v3/stacks/?include_collaborators=true", StackScenario.ApiKey(stack))).EnsureStatus(HttpStatusCode.OK).Json["stack"]!;

        foreach (var field in new[] { "uid", "name", "description", "org_uid", "api_key", "master_locale", "owner_uid", "user_uids", "created_at", "updated_at", "SYS_ACL", "settings" })
            Assert.True(plain.AsObject().ContainsKey(field), field);
        Assert.Null(plain["collaborators"]);
        Assert.Null(plain["stack_variables"]);
        var variables = (await client.GetAsync("/v3/stacks?include_stack_variables=true&include_discrete_variables=true", StackScenario.ApiKey(stack))).Json["stack"]!;
        Assert.NotNull(variables["stack_variables"]!.AsObject());
        Assert.NotNull(variables["discrete_variables"]!.AsObject());
        var collaborators = withUsers["collaborators"]!.AsArray();
        Assert.Equal(2, collaborators.Count);
        Assert.Equal(2, trailingSlash["collaborators"]!.AsArray().Count);
        var mine = collaborators.Single(c => c!["uid"]!.GetValue<string>() == member.UserUid)!;
        Assert.Equal(member.Email, mine["email"]!.GetValue<string>());
        Assert.Equal("Developer", mine["roles"]![0]!["name"]!.GetValue<string>());
        Assert.True(collaborators.Single(c => c!["uid"]!.GetValue<string>() == org.Owner.UserUid)!["is_owner"]!.GetValue<bool>());
    }

    [Fact]
    public async Task StackUsers_ListsTheOwnerAndEverybodyWithARole()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);
        await app.GiveRoleAsync(stack, member, BuiltInRoles.ContentManager);
        var client = await app.SignedInAsync(org.Owner.Email);

        var users = (await client.GetAsync("/v3/stacks/users", StackScenario.ApiKey(stack))).EnsureStatus(HttpStatusCode.OK).Json["users"]!.AsArray();

        Assert.Equal(new[] { org.Owner.UserUid, member.UserUid }.Order(), users.Select(u => u!["uid"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task FetchingAStack_OfAnotherOrganization_Answers412WithCode109()
    {
        var org = await app.CreateStackOrgAsync();
        var other = await app.CreateStackOrgAsync("Other");
        var stack = await app.CreateStackAsync(org);
        var client = await app.SignedInAsync(other.Owner.Email);

        AssertInvalidApiKey(await client.GetAsync("/v3/stacks", StackScenario.ApiKey(stack)));
        AssertInvalidApiKey(await client.GetAsync("/v3/roles", StackScenario.ApiKey(stack)));
        AssertInvalidApiKey(await client.DeleteAsync("/v3/stacks", headers: StackScenario.ApiKey(stack)));
        AssertInvalidApiKey(await client.PostAsync("/v3/stacks/share", new { emails = new[] { other.Owner.Email } }, StackScenario.ApiKey(stack)));
        Assert.True(await app.WithDbAsync(db => db.Stacks.AnyAsync(s => s.Uid == stack.Uid)));
    }

    [Theory]
    [InlineData("blt0000000000000000")]
    [InlineData("../../etc/passwd")]
    [InlineData("x")]
    public async Task FetchingAStack_WithAnUnknownApiKey_Answers412(string apiKey)
    {
        var org = await app.CreateStackOrgAsync();
        var client = await app.SignedInAsync(org.Owner.Email);

        AssertInvalidApiKey(await client.GetAsync("/v3/stacks", new Dictionary<string, string> { ["api_key"] = apiKey }));
        AssertInvalidApiKey(await client.GetAsync("/v3/stacks/users", new Dictionary<string, string> { ["api_key"] = apiKey }));
    }

    [Fact]
    public async Task ListingStacks_WithoutApiKey_AnswersReachableStacks_FilteredByHeaderOrQuery()
    {
        var org = await app.CreateStackOrgAsync();
        var other = await app.CreateStackOrgAsync("Other");
        var member = await app.Member(org.Uid).AddAsync();
        var inOther = await app.Member(other.Uid, member.Email).AddAsync();
        var shared = await app.CreateStackAsync(org, name: "Shared");
        await app.CreateStackAsync(org, name: "Hidden");
        var elsewhere = await app.CreateStackAsync(other, name: "Elsewhere");
        await app.GiveRoleAsync(shared, member, BuiltInRoles.Developer);
        await app.GiveRoleAsync(elsewhere, inOther, BuiltInRoles.Developer);
        var client = await app.SignedInAsync(member.Email);

        static string[] Names(ApiResponse r) => r.EnsureStatus(HttpStatusCode.OK).Json["stacks"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()).ToArray();
        var all = await client.GetAsync("/v3/stacks?include_count=true");
        var byHeader = await client.GetAsync("/v3/stacks", new Dictionary<string, string> { ["organization_uid"] = org.Uid });
        var byQuery = await client.GetAsync("/v3/stacks?&query=" + Uri.EscapeDataString($"{{\"org_uid\":\"{other.Uid}\"}}"));
        var emptyQuery = await client.GetAsync("/v3/stacks?limit=1&skip=1&query=%7B%7D");
        var headerAndQuery = await client.GetAsync("/v3/stacks?&query=" + Uri.EscapeDataString($"{{\"org_uid\":\"{org.Uid}\"}}"), new Dictionary<string, string> { ["organization_uid"] = org.Uid });
        var conflicting = await client.GetAsync("/v3/stacks?&query=" + Uri.EscapeDataString($"{{\"org_uid\":\"{other.Uid}\"}}"), new Dictionary<string, string> { ["organization_uid"] = org.Uid });
        var counted = await client.GetAsync("/v3/stacks?count=true");

        Assert.Equal(["Elsewhere", "Shared"], Names(all));
        Assert.Equal(2, all.Json["count"]!.GetValue<int>());
        Assert.Equal(["Shared"], Names(byHeader));
        Assert.Equal(["Elsewhere"], Names(byQuery));
        Assert.Equal(["Shared"], Names(emptyQuery));
        Assert.Null(emptyQuery.Json["count"]);
        Assert.Equal(["Shared"], Names(headerAndQuery));
        Assert.Empty(Names(conflicting));
        Assert.Equal(2, counted.EnsureStatus(HttpStatusCode.OK).Json["stacks"]!.GetValue<int>());
        (await client.GetAsync("/v3/stacks?query=not-json")).EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task OrganizationStacks_AsAdmin_ListsEveryStackWithOwnerAndUserCount_Paged()
    {
        var org = await app.CreateStackOrgAsync();
        var admin = await app.Member(org.Uid, OrgRole.Admin).AddAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var alpha = await app.CreateStackAsync(org, name: "Alpha");
        await app.CreateStackAsync(org, name: "Beta");
        await app.CreateStackAsync(org, admin, name: "Gamma");
        await app.GiveRoleAsync(alpha, member, BuiltInRoles.Developer);
        var client = await app.SignedInAsync(admin.Email);

        var first = (await client.GetAsync($"/v3/organizations/{org.Uid}/stacks?include_count=true&limit=2")).EnsureStatus(HttpStatusCode.OK).Json;
        var rest = (await client.GetAsync($"/v3/organizations/{org.Uid}/stacks?skip=2&limit=2")).EnsureStatus(HttpStatusCode.OK).Json;
        var past = (await client.GetAsync($"/v3/organizations/{org.Uid}/stacks?skip=3")).EnsureStatus(HttpStatusCode.OK).Json;
        var search = (await client.GetAsync($"/v3/organizations/{org.Uid}/stacks?typeahead=GAM")).EnsureStatus(HttpStatusCode.OK).Json;
        var descending = (await client.GetAsync($"/v3/organizations/{org.Uid}/stacks?desc=name")).EnsureStatus(HttpStatusCode.OK).Json;

        Assert.Equal(3, first["count"]!.GetValue<int>());
        var items = first["stacks"]!.AsArray();
        Assert.Equal(["Alpha", "Beta"], items.Select(s => s!["name"]!.GetValue<string>()).ToArray());
        Assert.Equal(org.Owner.Email, items[0]!["owner"]!["email"]!.GetValue<string>());
        Assert.Equal("Olive", items[0]!["owner"]!["first_name"]!.GetValue<string>());
        Assert.Equal(2, items[0]!["users"]!["count"]!.GetValue<int>());
        Assert.Equal(1, items[1]!["users"]!["count"]!.GetValue<int>());
        Assert.Equal(alpha.ApiKey, items[0]!["api_key"]!.GetValue<string>());
        Assert.Equal("Gamma", Assert.Single(rest["stacks"]!.AsArray())!["name"]!.GetValue<string>());
        Assert.Empty(past["stacks"]!.AsArray());
        Assert.Equal("Gamma", Assert.Single(search["stacks"]!.AsArray())!["name"]!.GetValue<string>());
        Assert.Equal("Gamma", descending["stacks"]![0]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task OrganizationStacks_AsMember_Answers403_AsOutsider_Answers404_WithBadSkip_Answers422()
    {
        var org = await app.CreateStackOrgAsync();
        var other = await app.CreateStackOrgAsync("Other");
        var member = await app.Member(org.Uid).AddAsync();

        (await (await app.SignedInAsync(member.Email)).GetAsync($"/v3/organizations/{org.Uid}/stacks")).EnsureError(HttpStatusCode.Forbidden);
        (await (await app.SignedInAsync(other.Owner.Email)).GetAsync($"/v3/organizations/{org.Uid}/stacks")).EnsureError(HttpStatusCode.NotFound);
        (await (await app.SignedInAsync(org.Owner.Email)).GetAsync($"/v3/organizations/{org.Uid}/stacks?skip=-1")).EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task OrgAdmin_WithoutAStackRole_SeesTheStackButCannotFetchItOrItsRolesOrUsers()
    {
        var org = await app.CreateStackOrgAsync();
        var admin = await app.Member(org.Uid, OrgRole.Admin).AddAsync();
        var stack = await app.CreateStackAsync(org);
        var client = await app.SignedInAsync(admin.Email);

        var listed = (await client.GetAsync($"/v3/organizations/{org.Uid}/stacks")).EnsureStatus(HttpStatusCode.OK).Json["stacks"]!.AsArray();

        Assert.Equal(stack.Uid, Assert.Single(listed)!["uid"]!.GetValue<string>());
        (await client.GetAsync("/v3/stacks", StackScenario.ApiKey(stack))).EnsureError(HttpStatusCode.Forbidden);
        (await client.GetAsync("/v3/roles", StackScenario.ApiKey(stack))).EnsureError(HttpStatusCode.Forbidden);
        (await client.GetAsync("/v3/stacks/users", StackScenario.ApiKey(stack))).EnsureError(HttpStatusCode.Forbidden);
        Assert.Empty((await client.GetAsync("/v3/stacks")).EnsureStatus(HttpStatusCode.OK).Json["stacks"]!.AsArray());
    }

    [Fact]
    public async Task UpdatingAStack_IgnoresReadOnlyFields_AndRefusesAMasterLocaleChange()
    {
        var org = await app.CreateStackOrgAsync();
        var stack = await app.CreateStackAsync(org);
        var client = await app.SignedInAsync(org.Owner.Email);
        var echoed = (await client.GetAsync("/v3/stacks", StackScenario.ApiKey(stack))).Json["stack"]!.AsObject();
        echoed["name"] = "Renamed";
        echoed["description"] = "Changed";
        echoed["owner_uid"] = "bltffffffffffffffff";
        echoed["settings"] = new JsonObject { ["x"] = 1 };

        var updated = (await client.PutAsync("/v3/stacks", new JsonObject { ["stack"] = echoed.DeepClone() }.ToJsonString(), StackScenario.ApiKey(stack))).EnsureStatus(HttpStatusCode.OK).Json;
        echoed["master_locale"] = "fr-fr";
        var refused = await client.PutAsync("/v3/stacks", new JsonObject { ["stack"] = echoed.DeepClone() }.ToJsonString(), StackScenario.ApiKey(stack));

        Assert.Equal("Stack updated successfully.", updated["notice"]!.GetValue<string>());
        Assert.Equal("Renamed", updated["stack"]!["name"]!.GetValue<string>());
        Assert.Equal(org.Owner.UserUid, updated["stack"]!["owner_uid"]!.GetValue<string>());
        Assert.NotNull(refused.EnsureError(HttpStatusCode.UnprocessableEntity)["errors"]!["master_locale"]);
        Assert.Equal("Renamed", (await app.WithDbAsync(db => db.Stacks.AsNoTracking().FirstAsync(s => s.Uid == stack.Uid))).Name);
    }

    [Fact]
    public async Task DeletingAStack_AnswersTheNotice_ThenItsApiKeyIsInvalid()
    {
        var org = await app.CreateStackOrgAsync();
        var stack = await app.CreateStackAsync(org);
        var member = await app.Member(org.Uid).AddAsync();
        await app.GiveRoleAsync(stack, member, BuiltInRoles.Admin);
        var owner = await app.SignedInAsync(org.Owner.Email);

        (await (await app.SignedInAsync(member.Email)).DeleteAsync("/v3/stacks", headers: StackScenario.ApiKey(stack))).EnsureError(HttpStatusCode.Forbidden);
        var deleted = (await owner.DeleteAsync("/v3/stacks", headers: StackScenario.ApiKey(stack))).EnsureStatus(HttpStatusCode.OK).Json;

        Assert.Equal("Stack deleted successfully!", deleted["notice"]!.GetValue<string>());
        AssertInvalidApiKey(await owner.GetAsync("/v3/stacks", StackScenario.ApiKey(stack)));
        Assert.Equal(0, await app.WithDbAsync(db => db.StackRoleAssignments.CountAsync(a => a.StackUid == stack.Uid)));
        Assert.Equal(1, await app.AuditCountAsync("stack", "delete", stack.Uid));
    }
}
