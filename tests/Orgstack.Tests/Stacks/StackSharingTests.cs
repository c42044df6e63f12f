using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Core.Stacks;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Stacks;

/// <summary>Share, unshare, user roles and custom roles through the Core use cases on a real SQLite database.</summary>
public sealed class StackSharingTests(AppFactory app) : IClassFixture<AppFactory>
{
    private static readonly CancellationToken None = CancellationToken.None;

    private Task<Result<ShareStack.Response>> Share(Stack stack, Person by, params (string Email, string[] Roles)[] shares) =>
        app.RunAsync<ShareStack, Result<ShareStack.Response>>(u => u.HandleAsync(new ShareStack.Request(stack.ApiKey, shares.Select(s => s.Email).ToList(),
            shares.ToDictionary(s => s.Email, s => (IReadOnlyList<string>)s.Roles)), by.Actor, None));

    private Task<int> AssignmentsAsync(Stack stack, Person person) =>
        app.WithDbAsync(db => db.StackRoleAssignments.CountAsync(a => a.StackUid == stack.Uid && a.MembershipUid == person.MembershipUid));

    private Task<Result<(StackView, IReadOnlyList<StackUserView>?)>> Fetch(Stack stack, Person by) =>
        app.RunAsync<GetStack, Result<(StackView, IReadOnlyList<StackUserView>?)>>(u => u.HandleAsync(stack.ApiKey, false, by.Actor, None));

    [Fact]
    public async Task Sharing_WithMembersAndPendingInvitations_GivesThemTheRoles()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var pending = await app.Member(org.Uid).Pending().AddAsync();
        var stack = await app.CreateStackAsync(org);
        var developer = await app.RoleAsync(stack, BuiltInRoles.Developer);

        var result = await Share(stack, org.Owner, (member.Email.ToUpperInvariant(), [developer.Uid]), (pending.Email, ["content manager"]));

        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.Equal(2, result.Value.Shared.Count);
        Assert.Empty(result.Value.Errors);
        Assert.True((await Fetch(stack, member)).IsSuccess);
        Assert.Equal(1, await AssignmentsAsync(stack, pending));
        Assert.Equal(2, await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.Module == "stack" && e.EventType == "share" && e.MetadataJson.Contains(stack.Uid))));
    }

    [Fact]
    public async Task Sharing_WithSomebodyOutsideTheOrganization_IsAPerAddressError_WhileOthersGoThrough()
    {
        var org = await app.CreateStackOrgAsync();
        var other = await app.CreateStackOrgAsync("Other");
        var member = await app.Member(org.Uid).AddAsync();
        var outsider = await app.Member(other.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);

        var result = await Share(stack, org.Owner, (member.Email, ["Developer"]), (outsider.Email, ["Developer"]), ("not-an-email", ["Developer"]), (member.Email.Replace("member", "nobody"), ["Developer"]));

        Assert.Equal(member.Email, Assert.Single(result.Value.Shared).Email);
        Assert.Equal(3, result.Value.Errors.Count);
        Assert.Contains("not a member of this stack's organization", result.Value.Errors[outsider.Email][0]);
        Assert.Equal(0, await app.WithDbAsync(db => db.StackRoleAssignments.CountAsync(a => a.MembershipUid == outsider.MembershipUid)));
    }

    [Fact]
    public async Task Sharing_WhenNoAddressIsValid_FailsWhollyAndChangesNothing()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);

        var noRoles = await Share(stack, org.Owner, (member.Email, []));
        var unknownRole = await Share(stack, org.Owner, (member.Email, ["Developer", "No such role"]));
        var empty = await Share(stack, org.Owner);

        Assert.Equal(ErrorKind.Validation, noRoles.Error!.Kind);
        Assert.Contains(member.Email, noRoles.Error.Fields!.Keys);
        Assert.Contains("No such role", unknownRole.Error!.Fields![member.Email][0]);
        Assert.Equal(ErrorKind.Validation, empty.Error!.Kind);
        Assert.Equal(0, await AssignmentsAsync(stack, member));
    }

    [Fact]
    public async Task Sharing_AsDeveloper_IsForbidden_AsStackAdminRole_IsAllowed()
    {
        var org = await app.CreateStackOrgAsync();
        var developer = await app.Member(org.Uid).AddAsync();
        var stackAdmin = await app.Member(org.Uid).AddAsync();
        var target = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);
        await app.GiveRoleAsync(stack, developer, BuiltInRoles.Developer);
        await app.GiveRoleAsync(stack, stackAdmin, BuiltInRoles.Admin);

        var refused = await Share(stack, developer, (target.Email, ["Developer"]));
        var allowed = await Share(stack, stackAdmin, (target.Email, ["Developer"]));

        Assert.Same(StackErrors.ManageRequired, refused.Error);
        Assert.True(allowed.IsSuccess);
    }

    [Fact]
    public async Task OrgAdmin_WithoutAStackRole_CanShareTheStack()
    {
        var org = await app.CreateStackOrgAsync();
        var admin = await app.Member(org.Uid, OrgRole.Admin).AddAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);

        var result = await Share(stack, admin, (member.Email, ["Content Manager"]));

        Assert.True(result.IsSuccess);
        Assert.False((await Fetch(stack, admin)).IsSuccess);
    }

    [Fact]
    public async Task Unsharing_RemovesEveryRoleInTheStack_AndAccessEndsImmediately()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);
        await app.GiveRoleAsync(stack, member, BuiltInRoles.Developer);
        await app.GiveRoleAsync(stack, member, BuiltInRoles.ContentManager);
        Assert.True((await Fetch(stack, member)).IsSuccess);

        var result = await app.RunAsync<UnshareStack, Result<int>>(u => u.HandleAsync(stack.ApiKey, member.Email, org.Owner.Actor, None));

        Assert.Equal(2, result.Value);
        Assert.Same(StackErrors.InvalidApiKey, (await Fetch(stack, member)).Error);
        Assert.Equal(1, await app.AuditCountAsync("stack", "unshare", member.MembershipUid));
    }

    [Fact]
    public async Task Unsharing_TheStackOwnerOrSomebodyWithoutRoles_IsRefused()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);

        var owner = await app.RunAsync<UnshareStack, Result<int>>(u => u.HandleAsync(stack.ApiKey, org.Owner.Email, org.Owner.Actor, None));
        var notShared = await app.RunAsync<UnshareStack, Result<int>>(u => u.HandleAsync(stack.ApiKey, member.Email, org.Owner.Actor, None));
        var invalid = await app.RunAsync<UnshareStack, Result<int>>(u => u.HandleAsync(stack.ApiKey, "nope", org.Owner.Actor, None));

        Assert.Same(StackErrors.OwnerCannotBeUnshared, owner.Error);
        Assert.Equal("stack.not_shared", notShared.Error!.Code);
        Assert.Equal(ErrorKind.Validation, invalid.Error!.Kind);
        Assert.Equal(1, await app.WithDbAsync(db => db.StackRoleAssignments.CountAsync(a => a.StackUid == stack.Uid)));
    }

    [Fact]
    public async Task SettingUserRoles_ReplacesTheirRoles_AndIsAudited()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);
        await app.GiveRoleAsync(stack, member, BuiltInRoles.Developer);
        var manager = await app.RoleAsync(stack, BuiltInRoles.ContentManager);

        var result = await app.RunAsync<SetStackUserRoles, Result<IReadOnlyList<(string UserUid, IReadOnlyList<StackRole> Roles)>>>(u =>
            u.HandleAsync(new SetStackUserRoles.Request(stack.ApiKey, new Dictionary<string, IReadOnlyList<string>> { [member.UserUid] = [manager.Uid] }), org.Owner.Actor, None));

        Assert.True(result.IsSuccess, result.Error?.Message);
        var held = await app.WithDbAsync(db => db.StackRoleAssignments.Where(a => a.StackUid == stack.Uid && a.MembershipUid == member.MembershipUid).Select(a => a.RoleUid).ToListAsync());
        Assert.Equal([manager.Uid], held);
        Assert.Equal(1, await app.AuditCountAsync("stack", "set_user_roles", member.MembershipUid));
    }

    [Fact]
    public async Task SettingUserRoles_ForSomebodyOutsideTheOrganization_RefusesTheWholeRequest()
    {
        var org = await app.CreateStackOrgAsync();
        var other = await app.CreateStackOrgAsync("Other");
        var member = await app.Member(org.Uid).AddAsync();
        var outsider = await app.Member(other.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);
        await app.GiveRoleAsync(stack, member, BuiltInRoles.Developer);

        var result = await app.RunAsync<SetStackUserRoles, Result<IReadOnlyList<(string UserUid, IReadOnlyList<StackRole> Roles)>>>(u =>
            u.HandleAsync(new SetStackUserRoles.Request(stack.ApiKey, new Dictionary<string, IReadOnlyList<string>>
            {
                [member.UserUid] = ["Admin"],
                [outsider.UserUid] = ["Developer"],
            }), org.Owner.Actor, None));

        Assert.Contains(outsider.UserUid, result.Error!.Fields!.Keys);
        var held = await app.WithDbAsync(db => db.StackRoleAssignments.Where(a => a.MembershipUid == member.MembershipUid).Select(a => a.RoleUid).ToListAsync());
        Assert.Equal([(await app.RoleAsync(stack, BuiltInRoles.Developer)).Uid], held);
        Assert.Equal(0, await app.WithDbAsync(db => db.StackRoleAssignments.CountAsync(a => a.MembershipUid == outsider.MembershipUid)));
    }

    [Fact]
    public async Task BuiltInRoles_CannotBeChangedOrDeleted()
    {
        var org = await app.CreateStackOrgAsync();
        var stack = await app.CreateStackAsync(org);
        var admin = await app.RoleAsync(stack, BuiltInRoles.Admin);

        var updated = await app.RunAsync<UpdateStackRole, Result<StackRoleView>>(u =>
            u.HandleAsync(new UpdateStackRole.Request(stack.ApiKey, admin.Uid, "Boss", null, null, false), org.Owner.Actor, None));
        var deleted = await app.RunAsync<DeleteStackRole, Result<StackRole>>(u => u.HandleAsync(stack.ApiKey, admin.Uid, org.Owner.Actor, None));

        Assert.Same(StackErrors.BuiltInRoleImmutable, updated.Error);
        Assert.Same(StackErrors.BuiltInRoleImmutable, deleted.Error);
        Assert.Equal("Admin", (await app.RoleAsync(stack, BuiltInRoles.Admin)).Name);
    }

    [Fact]
    public async Task CustomRoles_CanBeCreatedUpdatedAndDeleted_WithRulesKeptVerbatim_AndAudited()
    {
        var org = await app.CreateStackOrgAsync();
        var stack = await app.CreateStackAsync(org);
        var rules = JsonNode.Parse("""[{"module":"branch","branches":["main"],"acl":{"read":true}},{"module":"asset","assets":["$all"],"acl":{"read":true,"x":[1,2.5,null]}}]""");

        var created = await app.RunAsync<CreateStackRole, Result<StackRoleView>>(u =>
            u.HandleAsync(new CreateStackRole.Request(stack.ApiKey, " Reviewers ", "Reads", rules), org.Owner.Actor, None));
        var uid = created.Value.Role.Uid;
        var updated = await app.RunAsync<UpdateStackRole, Result<StackRoleView>>(u =>
            u.HandleAsync(new UpdateStackRole.Request(stack.ApiKey, uid, "Editors", null, JsonNode.Parse("""[{"module":"branch","branches":["main"]},{"module":"locale","locales":["$all"]}]"""), true), org.Owner.Actor, None));
        var deleted = await app.RunAsync<DeleteStackRole, Result<StackRole>>(u => u.HandleAsync(stack.ApiKey, uid, org.Owner.Actor, None));

        Assert.Equal("Reviewers", created.Value.Role.Name);
        Assert.False(created.Value.Role.BuiltIn);
        Assert.True(JsonNode.DeepEquals(rules, JsonNode.Parse(created.Value.Role.RulesJson)));
        Assert.Equal("Editors", updated.Value.Role.Name);
        Assert.Equal("Reads", updated.Value.Role.Description);
        Assert.Equal("""[{"module":"branch","branches":["main"]},{"module":"locale","locales":["$all"]}]""", updated.Value.Role.RulesJson);
        Assert.True(deleted.IsSuccess);
        Assert.False(await app.WithDbAsync(db => db.StackRoles.AnyAsync(r => r.Uid == uid)));
        Assert.Equal(1, await app.AuditCountAsync("role", "create", uid));
        Assert.Equal(1, await app.AuditCountAsync("role", "update", uid));
        Assert.Equal(1, await app.AuditCountAsync("role", "delete", uid));
    }

    [Theory]
    [InlineData("""{"module":"branch"}""")]
    [InlineData("""[1]""")]
    [InlineData("""[{"acl":{}}]""")]
    [InlineData("""[{"module":5}]""")]
    [InlineData("""[{"module":""}]""")]
    [InlineData("""[{"module":"asset","assets":["$all"]}]""")]
    [InlineData("""[]""")]
    public async Task CustomRole_WithInvalidRules_IsRejected(string rules)
    {
        var org = await app.CreateStackOrgAsync();
        var stack = await app.CreateStackAsync(org);

        var result = await app.RunAsync<CreateStackRole, Result<StackRoleView>>(u =>
            u.HandleAsync(new CreateStackRole.Request(stack.ApiKey, "Broken", null, JsonNode.Parse(rules)), org.Owner.Actor, None));

        Assert.Contains(result.Error!.Code, new[] { "role.rules_invalid", "role.branch_rule_required" });
        Assert.Equal(3, await app.WithDbAsync(db => db.StackRoles.CountAsync(r => r.StackUid == stack.Uid)));
    }

    [Theory]
    [InlineData("developer")]
    [InlineData("")]
    [InlineData(null)]
    public async Task CustomRole_WithATakenOrMissingName_IsRejected(string? name)
    {
        var org = await app.CreateStackOrgAsync();
        var stack = await app.CreateStackAsync(org);

        var result = await app.RunAsync<CreateStackRole, Result<StackRoleView>>(u =>
            u.HandleAsync(new CreateStackRole.Request(stack.ApiKey, name, null, StackScenario.BranchRules()), org.Owner.Actor, None));

        Assert.Equal(ErrorKind.Validation, result.Error!.Kind);
    }

    [Fact]
    public async Task DeletingACustomRole_HeldByUsers_IsRefusedWithTheirCount()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var pending = await app.Member(org.Uid).Pending().AddAsync();
        var stack = await app.CreateStackAsync(org);
        var role = (await app.RunAsync<CreateStackRole, Result<StackRoleView>>(u =>
            u.HandleAsync(new CreateStackRole.Request(stack.ApiKey, "Reviewers", null, StackScenario.BranchRules()), org.Owner.Actor, None))).Value.Role;
        await app.GiveRoleAsync(stack, member, "Reviewers");
        await app.GiveRoleAsync(stack, pending, "Reviewers");

        var result = await app.RunAsync<DeleteStackRole, Result<StackRole>>(u => u.HandleAsync(stack.ApiKey, role.Uid, org.Owner.Actor, None));

        Assert.Equal("role.in_use", result.Error!.Code);
        Assert.Contains("held by 2 users", result.Error.Message);
        Assert.True(await app.WithDbAsync(db => db.StackRoles.AnyAsync(r => r.Uid == role.Uid)));
    }

    [Fact]
    public async Task ManagingCustomRoles_AsDeveloper_IsForbidden_AsStackAdminRole_IsAllowed()
    {
        var org = await app.CreateStackOrgAsync();
        var developer = await app.Member(org.Uid).AddAsync();
        var stackAdmin = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);
        await app.GiveRoleAsync(stack, developer, BuiltInRoles.Developer);
        await app.GiveRoleAsync(stack, stackAdmin, BuiltInRoles.Admin);

        var refused = await app.RunAsync<CreateStackRole, Result<StackRoleView>>(u =>
            u.HandleAsync(new CreateStackRole.Request(stack.ApiKey, "Mine", null, StackScenario.BranchRules()), developer.Actor, None));
        var allowed = await app.RunAsync<CreateStackRole, Result<StackRoleView>>(u =>
            u.HandleAsync(new CreateStackRole.Request(stack.ApiKey, "Mine", null, StackScenario.BranchRules()), stackAdmin.Actor, None));
        var listed = await app.RunAsync<ListStackRoles, Result<(IReadOnlyList<StackRoleView> Items, int Count)>>(u =>
            u.HandleAsync(new ListStackRoles.Request(stack.ApiKey, null, 0, 100), developer.Actor, None));

        Assert.Same(StackErrors.ManageRequired, refused.Error);
        Assert.True(allowed.IsSuccess);
        Assert.Equal(["Admin", "Content Manager", "Developer", "Mine"], listed.Value.Items.Select(r => r.Role.Name).ToArray());
        Assert.Equal([developer.UserUid], listed.Value.Items.Single(r => r.Role.Name == "Developer").UserUids);
    }

    [Fact]
    public async Task StackRoles_AreOnlyReachableInTheirOwnStack()
    {
        var org = await app.CreateStackOrgAsync();
        var first = await app.CreateStackAsync(org, name: "First");
        var second = await app.CreateStackAsync(org, name: "Second");
        var roleOfFirst = await app.RoleAsync(first, BuiltInRoles.Developer);
        var member = await app.Member(org.Uid).AddAsync();

        var fetched = await app.RunAsync<GetStackRole, Result<StackRoleView>>(u => u.HandleAsync(second.ApiKey, roleOfFirst.Uid, org.Owner.Actor, None));
        var shared = await Share(second, org.Owner, (member.Email, [roleOfFirst.Uid]));

        Assert.Same(StackErrors.RoleNotFound, fetched.Error);
        Assert.Equal(ErrorKind.Validation, shared.Error!.Kind);
        Assert.Equal(MembershipStatus.Accepted, (await app.WithDbAsync(db => db.Memberships.FirstAsync(m => m.Uid == member.MembershipUid))).Status);
    }
}
