using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Core.Stacks;

namespace Orgstack.Tests.Support;

/// <summary>An organization with its Owner, ready for stack tests.</summary>
public sealed record StackOrg(Organization Organization, Person Owner)
{
    public string Uid => Organization.Uid;
}

/// <summary>
/// Builds organizations and stacks for the stack tests (members come from <see cref="People"/>); stacks are created
/// through the real use case.
/// </summary>
public static class StackScenario
{
    public static async Task<StackOrg> CreateStackOrgAsync(this AppFactory app, string name = "Acme")
    {
        var email = MembersScenario.Unique("owner");
        var organization = await app.CreateOrganizationAsync(name, email);
        var owner = await app.WithDbAsync(db => db.Memberships.AsNoTracking().FirstAsync(m => m.OrganizationUid == organization.Uid && m.Role == OrgRole.Owner));
        return new StackOrg(organization, new Person(owner.UserUid!, email, owner.Uid, OrgRole.Owner));
    }

    /// <summary>Runs one use case in its own scope, as a request would.</summary>
    public static async Task<TResult> RunAsync<TUseCase, TResult>(this AppFactory app, Func<TUseCase, Task<TResult>> action) where TUseCase : notnull
    {
        await using var scope = app.Scope();
        return await action(scope.ServiceProvider.GetRequiredService<TUseCase>());
    }

    public static async Task<Stack> CreateStackAsync(this AppFactory app, StackOrg org, Person? by = null, string name = "Website")
    {
        var result = await app.RunAsync<CreateStack, Result<Stack>>(u =>
            u.HandleAsync(new CreateStack.Request(org.Uid, name, "A test stack", null), (by ?? org.Owner).Actor, CancellationToken.None));
        Assert.True(result.IsSuccess, result.Error?.Message);
        return result.Value;
    }

    public static async Task<StackRole> RoleAsync(this AppFactory app, Stack stack, string name) =>
        await app.WithDbAsync(db => db.StackRoles.AsNoTracking().FirstAsync(r => r.StackUid == stack.Uid && r.Name == name));

    public static async Task GiveRoleAsync(this AppFactory app, Stack stack, Person person, string roleName)
    {
        var role = await app.RoleAsync(stack, roleName);
        await app.WithDbAsync(async db =>
        {
            db.StackRoleAssignments.Add(new StackRoleAssignment { StackUid = stack.Uid, MembershipUid = person.MembershipUid, RoleUid = role.Uid, CreatedAt = DateTimeOffset.UtcNow });
            return await db.SaveChangesAsync();
        });
    }

    /// <summary>The smallest valid rules of a custom role: read access to the main branch.</summary>
    public const string BranchRulesJson = """[{"module":"branch","branches":["main"],"acl":{"read":true}}]""";

    public static System.Text.Json.Nodes.JsonNode BranchRules() => System.Text.Json.Nodes.JsonNode.Parse(BranchRulesJson)!;

    public static Dictionary<string, string> ApiKey(Stack stack) => new() { ["api_key"] = stack.ApiKey };

    public static Task<int> AuditCountAsync(this AppFactory app, string module, string eventType, string targetUid) =>
        app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.Module == module && e.EventType == eventType && e.TargetUid == targetUid));
}
