using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Organizations;
using Orgstack.Core.Stacks;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Stacks;

/// <summary>Stack creation, access, update and deletion through the Core use cases on a real SQLite database.</summary>
public sealed class StackUseCaseTests(AppFactory app) : IClassFixture<AppFactory>
{
    private static readonly CancellationToken None = CancellationToken.None;

    private Task<Result<Stack>> Create(StackOrg org, Person by, string? name = "Website", string? locale = null, string? organizationUid = null) =>
        app.RunAsync<CreateStack, Result<Stack>>(u => u.HandleAsync(new CreateStack.Request(organizationUid ?? org.Uid, name, "", locale), by.Actor, None));

    [Fact]
    public async Task CreatingAStack_AsOwner_CreatesBuiltInRolesAndMakesTheCreatorOwnerWithTheAdminRole()
    {
        var org = await app.CreateStackOrgAsync();

        var stack = (await Create(org, org.Owner, locale: "EN-US")).Value;

        Assert.Equal(org.Owner.UserUid, stack.OwnerUserUid);
        Assert.Equal("en-us", stack.MasterLocale);
        Assert.NotEqual(stack.Uid, stack.ApiKey);
        var roles = await app.WithDbAsync(db => db.StackRoles.AsNoTracking().Where(r => r.StackUid == stack.Uid).ToListAsync());
        Assert.Equal(["Admin", "Content Manager", "Developer"], roles.Select(r => r.Name).Order().ToArray());
        Assert.All(roles, r => Assert.True(r.BuiltIn));
        Assert.All(roles, r => Assert.StartsWith("[{\"module\":", r.RulesJson));
        var assignment = await app.WithDbAsync(db => db.StackRoleAssignments.AsNoTracking().SingleAsync(a => a.StackUid == stack.Uid));
        Assert.Equal(org.Owner.MembershipUid, assignment.MembershipUid);
        Assert.Equal(roles.Single(r => r.Name == "Admin").Uid, assignment.RoleUid);
        Assert.Equal(1, await app.AuditCountAsync("stack", "create", stack.Uid));
    }

    [Fact]
    public async Task CreatingAStack_AsAdmin_Succeeds()
    {
        var org = await app.CreateStackOrgAsync();
        var admin = await app.Member(org.Uid, OrgRole.Admin).AddAsync();

        var result = await Create(org, admin);

        Assert.True(result.IsSuccess);
        Assert.Equal(admin.UserUid, result.Value.OwnerUserUid);
    }

    [Fact]
    public async Task CreatingAStack_AsMember_IsForbidden()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();

        var result = await Create(org, member);

        Assert.Equal(ErrorKind.Forbidden, result.Error!.Kind);
        Assert.Equal(0, await app.WithDbAsync(db => db.Stacks.CountAsync(s => s.OrganizationUid == org.Uid)));
    }

    [Fact]
    public async Task CreatingAStack_InAnotherOrganization_IsNotFound()
    {
        var org = await app.CreateStackOrgAsync();
        var other = await app.CreateStackOrgAsync("Other");

        var result = await Create(org, other.Owner);

        Assert.Equal(ErrorKind.NotFound, result.Error!.Kind);
    }

    [Fact]
    public async Task CreatingAStack_WhenThePlanLimitIsReached_IsRefusedWithAClearError()
    {
        var org = await app.CreateStackOrgAsync();
        await app.RunAsync<SetPlan, Result<Organization>>(u => u.HandleAsync(new SetPlan.Request(org.Uid, null, null, null, 2, null), Actor.System(), None));
        await app.CreateStackAsync(org, name: "One");
        await app.CreateStackAsync(org, name: "Two");

        var result = await Create(org, org.Owner, "Three");

        Assert.Equal(ErrorKind.LimitExceeded, result.Error!.Kind);
        Assert.Contains("limit of 2 stacks", result.Error.Message);
        Assert.Equal(2, await app.WithDbAsync(db => db.Stacks.CountAsync(s => s.OrganizationUid == org.Uid)));
    }

    [Fact]
    public async Task CreatingStacksConcurrently_NeverExceedsThePlanLimit()
    {
        var org = await app.CreateStackOrgAsync();
        await app.RunAsync<SetPlan, Result<Organization>>(u => u.HandleAsync(new SetPlan.Request(org.Uid, null, null, null, 3, null), Actor.System(), None));

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Create(org, org.Owner, $"Stack {i}"))));

        Assert.Equal(3, results.Count(r => r.IsSuccess));
        Assert.All(results.Where(r => !r.IsSuccess), r => Assert.Equal(ErrorKind.LimitExceeded, r.Error!.Kind));
        Assert.Equal(3, await app.WithDbAsync(db => db.Stacks.CountAsync(s => s.OrganizationUid == org.Uid)));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("   ", null)]
    [InlineData("bad\u0001name", null)]
    [InlineData("Website", "not a locale")]
    [InlineData("Website", "e")]
    public async Task CreatingAStack_WithAnInvalidNameOrLocale_IsRejected(string? name, string? locale)
    {
        var org = await app.CreateStackOrgAsync();

        var result = await Create(org, org.Owner, name, locale);

        Assert.Equal(ErrorKind.Validation, result.Error!.Kind);
        Assert.Equal(0, await app.WithDbAsync(db => db.Stacks.CountAsync(s => s.OrganizationUid == org.Uid)));
    }

    [Fact]
    public async Task CreatingAStack_WithoutOrganization_IsRejected()
    {
        var org = await app.CreateStackOrgAsync();

        var result = await app.RunAsync<CreateStack, Result<Stack>>(u => u.HandleAsync(new CreateStack.Request(null, "Website", null, null), org.Owner.Actor, None));

        Assert.Equal("stack.organization_required", result.Error!.Code);
    }

    [Fact]
    public async Task OrgAdmin_WithoutAStackRole_SeesTheStackInTheOrganizationListButCannotReachItsContent()
    {
        var org = await app.CreateStackOrgAsync();
        var admin = await app.Member(org.Uid, OrgRole.Admin).AddAsync();
        var stack = await app.CreateStackAsync(org);

        var listed = await app.RunAsync<ListOrganizationStacks, Result<(IReadOnlyList<OrganizationStackView> Items, int Count)>>(u =>
            u.HandleAsync(new ListOrganizationStacks.Request(org.Uid, 0, 100, StackSort.Name, false, null), admin.Actor, None));
        var fetched = await app.RunAsync<GetStack, Result<(StackView, IReadOnlyList<StackUserView>?)>>(u => u.HandleAsync(stack.ApiKey, true, admin.Actor, None));
        var roles = await app.RunAsync<ListStackRoles, Result<(IReadOnlyList<StackRoleView>, int)>>(u =>
            u.HandleAsync(new ListStackRoles.Request(stack.ApiKey, null, 0, 100), admin.Actor, None));
        var users = await app.RunAsync<ListStackUsers, Result<(Stack, IReadOnlyList<StackUserView>)>>(u => u.HandleAsync(stack.ApiKey, admin.Actor, None));
        var mine = await app.RunAsync<ListMyStacks, Result<(IReadOnlyList<StackView> Items, int Count)>>(u =>
            u.HandleAsync(new ListMyStacks.Request(org.Uid, 0, 100, StackSort.Name, false, null), admin.Actor, None));

        Assert.Equal(stack.Uid, Assert.Single(listed.Value.Items).Stack.Uid);
        Assert.Equal("stack.no_role", fetched.Error!.Code);
        Assert.Equal("stack.no_role", roles.Error!.Code);
        Assert.Equal("stack.no_role", users.Error!.Code);
        Assert.Empty(mine.Value.Items);
    }

    [Fact]
    public async Task OrgAdmin_WithARole_ReachesTheStack()
    {
        var org = await app.CreateStackOrgAsync();
        var admin = await app.Member(org.Uid, OrgRole.Admin).AddAsync();
        var stack = await app.CreateStackAsync(org);
        await app.GiveRoleAsync(stack, admin, BuiltInRoles.Developer);

        var fetched = await app.RunAsync<GetStack, Result<(StackView Stack, IReadOnlyList<StackUserView>? Users)>>(u => u.HandleAsync(stack.ApiKey, true, admin.Actor, None));

        Assert.True(fetched.IsSuccess);
        Assert.Equal(new[] { org.Owner.UserUid, admin.UserUid }.Order(), fetched.Value.Stack.UserUids.Order());
        Assert.Equal(2, fetched.Value.Users!.Count);
    }

    [Fact]
    public async Task Member_WithoutAStackRole_GetsInvalidApiKey_AsIfTheStackDidNotExist()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);

        var fetched = await app.RunAsync<GetStack, Result<(StackView, IReadOnlyList<StackUserView>?)>>(u => u.HandleAsync(stack.ApiKey, false, member.Actor, None));
        var deleted = await app.RunAsync<DeleteStack, Result<DeleteStack.Deleted>>(u => u.HandleAsync(stack.ApiKey, member.Actor, None));

        Assert.Same(StackErrors.InvalidApiKey, fetched.Error);
        Assert.Same(StackErrors.InvalidApiKey, deleted.Error);
    }

    [Fact]
    public async Task AnotherOrganizationsOwner_UsingTheApiKey_GetsInvalidApiKey()
    {
        var org = await app.CreateStackOrgAsync();
        var other = await app.CreateStackOrgAsync("Other");
        var stack = await app.CreateStackAsync(org);

        var fetched = await app.RunAsync<GetStack, Result<(StackView, IReadOnlyList<StackUserView>?)>>(u => u.HandleAsync(stack.ApiKey, false, other.Owner.Actor, None));
        var deleted = await app.RunAsync<DeleteStack, Result<DeleteStack.Deleted>>(u => u.HandleAsync(stack.ApiKey, other.Owner.Actor, None));

        Assert.Same(StackErrors.InvalidApiKey, fetched.Error);
        Assert.Same(StackErrors.InvalidApiKey, deleted.Error);
        Assert.Equal(ErrorKind.PreconditionFailed, fetched.Error!.Kind);
    }

    [Fact]
    public async Task Member_WithADeveloperRole_ReachesTheStackButCannotChangeOrDeleteIt()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);
        await app.GiveRoleAsync(stack, member, BuiltInRoles.Developer);

        var fetched = await app.RunAsync<GetStack, Result<(StackView, IReadOnlyList<StackUserView>?)>>(u => u.HandleAsync(stack.ApiKey, false, member.Actor, None));
        var renamed = await app.RunAsync<UpdateStack, Result<StackView>>(u => u.HandleAsync(new UpdateStack.Request(stack.ApiKey, "New", null, null), member.Actor, None));
        var deleted = await app.RunAsync<DeleteStack, Result<DeleteStack.Deleted>>(u => u.HandleAsync(stack.ApiKey, member.Actor, None));

        Assert.True(fetched.IsSuccess);
        Assert.Same(StackErrors.ManageRequired, renamed.Error);
        Assert.Same(StackErrors.DeleteRequired, deleted.Error);
    }

    [Fact]
    public async Task MemberWithTheStackAdminRole_CanRenameButNotDeleteTheStack()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);
        await app.GiveRoleAsync(stack, member, BuiltInRoles.Admin);

        var renamed = await app.RunAsync<UpdateStack, Result<StackView>>(u => u.HandleAsync(new UpdateStack.Request(stack.ApiKey, "Renamed", "New description", "en-us"), member.Actor, None));
        var deleted = await app.RunAsync<DeleteStack, Result<DeleteStack.Deleted>>(u => u.HandleAsync(stack.ApiKey, member.Actor, None));

        Assert.Equal("Renamed", renamed.Value.Stack.Name);
        Assert.Contains(member.UserUid, renamed.Value.UserUids);
        Assert.Same(StackErrors.DeleteRequired, deleted.Error);
        Assert.Equal(1, await app.AuditCountAsync("stack", "update", stack.Uid));
    }

    [Fact]
    public async Task UpdatingAStack_WithADifferentMasterLocale_IsRefusedAndNothingChanges()
    {
        var org = await app.CreateStackOrgAsync();
        var stack = await app.CreateStackAsync(org);

        var result = await app.RunAsync<UpdateStack, Result<StackView>>(u => u.HandleAsync(new UpdateStack.Request(stack.ApiKey, "Renamed", null, "fr-fr"), org.Owner.Actor, None));

        Assert.Same(StackErrors.MasterLocaleImmutable, result.Error);
        Assert.Equal("Website", (await app.WithDbAsync(db => db.Stacks.AsNoTracking().FirstAsync(s => s.Uid == stack.Uid))).Name);
    }

    [Fact]
    public async Task ListingMyStacks_ShowsOnlyStacksIOwnOrHoldARoleIn_FilteredByOrganization()
    {
        var org = await app.CreateStackOrgAsync();
        var other = await app.CreateStackOrgAsync("Other");
        var member = await app.Member(org.Uid).AddAsync();
        var inOther = await app.Member(other.Uid, member.Email).AddAsync();
        var shared = await app.CreateStackAsync(org, name: "Shared");
        await app.CreateStackAsync(org, name: "Hidden");
        var elsewhere = await app.CreateStackAsync(other, name: "Elsewhere");
        await app.GiveRoleAsync(shared, member, BuiltInRoles.ContentManager);
        await app.GiveRoleAsync(elsewhere, inOther, BuiltInRoles.Developer);

        Task<Result<(IReadOnlyList<StackView> Items, int Count)>> List(string? orgUid) => app.RunAsync<ListMyStacks, Result<(IReadOnlyList<StackView> Items, int Count)>>(u =>
            u.HandleAsync(new ListMyStacks.Request(orgUid, 0, 100, StackSort.Name, false, null), member.Actor, None));

        Assert.Equal(["Elsewhere", "Shared"], (await List(null)).Value.Items.Select(v => v.Stack.Name).ToArray());
        Assert.Equal(["Shared"], (await List(org.Uid)).Value.Items.Select(v => v.Stack.Name).ToArray());
    }

    [Fact]
    public async Task DeletingAStack_RemovesItsRolesAndAssignments_AndIsAudited()
    {
        var org = await app.CreateStackOrgAsync();
        var admin = await app.Member(org.Uid, OrgRole.Admin).AddAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var stack = await app.CreateStackAsync(org);
        var keep = await app.CreateStackAsync(org, name: "Keep");
        await app.GiveRoleAsync(stack, member, BuiltInRoles.Developer);
        await app.GiveRoleAsync(keep, member, BuiltInRoles.Developer);

        var result = await app.RunAsync<DeleteStack, Result<DeleteStack.Deleted>>(u => u.HandleAsync(stack.ApiKey, admin.Actor, None));

        Assert.True(result.IsSuccess);
        Assert.Equal(3, result.Value.Roles);
        Assert.Equal(2, result.Value.Assignments);
        Assert.False(await app.WithDbAsync(db => db.Stacks.AnyAsync(s => s.Uid == stack.Uid)));
        Assert.False(await app.WithDbAsync(db => db.StackRoles.AnyAsync(r => r.StackUid == stack.Uid)));
        Assert.False(await app.WithDbAsync(db => db.StackRoleAssignments.AnyAsync(a => a.StackUid == stack.Uid)));
        Assert.Equal(1, await app.WithDbAsync(db => db.StackRoleAssignments.CountAsync(a => a.StackUid == keep.Uid && a.MembershipUid == member.MembershipUid)));
        Assert.True(await app.WithDbAsync(db => db.Memberships.AnyAsync(m => m.Uid == member.MembershipUid)));
        Assert.Equal(1, await app.AuditCountAsync("stack", "delete", stack.Uid));
    }

    [Fact]
    public async Task OrganizationStackList_CountsUsersAndShowsTheOwner_AndIsForbiddenToMembers()
    {
        var org = await app.CreateStackOrgAsync();
        var member = await app.Member(org.Uid).AddAsync();
        var pending = await app.Member(org.Uid).Pending().AddAsync();
        var stack = await app.CreateStackAsync(org);
        await app.GiveRoleAsync(stack, member, BuiltInRoles.Developer);
        await app.GiveRoleAsync(stack, member, BuiltInRoles.ContentManager);
        await app.GiveRoleAsync(stack, pending, BuiltInRoles.Developer);

        var listed = await app.RunAsync<ListOrganizationStacks, Result<(IReadOnlyList<OrganizationStackView> Items, int Count)>>(u =>
            u.HandleAsync(new ListOrganizationStacks.Request(org.Uid, 0, 100, StackSort.Name, false, null), org.Owner.Actor, None));
        var refused = await app.RunAsync<ListOrganizationStacks, Result<(IReadOnlyList<OrganizationStackView> Items, int Count)>>(u =>
            u.HandleAsync(new ListOrganizationStacks.Request(org.Uid, 0, 100, StackSort.Name, false, null), member.Actor, None));

        var item = Assert.Single(listed.Value.Items);
        Assert.Equal(2, item.UserCount);
        Assert.Equal(org.Owner.Email, item.Owner!.Email);
        Assert.Equal(ErrorKind.Forbidden, refused.Error!.Kind);
    }
}
