using System.Net;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using static Orgstack.Tests.Support.MembersScenario;

namespace Orgstack.Tests.Members;

/// <summary>Bulk "Change role": up to Bulk:MaxUsersPerAction people, all or nothing, one audit event per change.</summary>
public sealed class ChangeMembersRoleTests(AppFactory app) : IClassFixture<AppFactory>
{
    private Task<Result<ChangeMembersRole.Outcome>> Change(string org, Actor actor, string? role, params string[] users) =>
        app.RunAsync<ChangeMembersRole, ChangeMembersRole.Outcome>(u => u.HandleAsync(new ChangeMembersRole.Request(org, users, role), actor, CancellationToken.None));

    private Task<int> AuditCountAsync(string org) =>
        app.DbAsync(db => db.AuditEvents.CountAsync(e => e.OrganizationUid == org && e.EventType == "change_roles"));

    [Fact]
    public async Task ChangingRole_OfSeveralMembersAndAnInvitation_ChangesAllWithOneAuditEventEach()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var a = Unique("bulk-a");
        var b = Unique("bulk-b");
        var already = Unique("bulk-admin");
        var pending = Unique("bulk-pending");
        await app.Member(org.Uid, a).InviteAndAcceptAsync(owner);
        var bActor = await app.Member(org.Uid, b).InviteAndAcceptAsync(owner);
        await app.Member(org.Uid, already, OrgRole.Admin).InviteAndAcceptAsync(owner);
        await app.InviteAsync(org.Uid, owner, Invitee(pending));
        var pendingUid = (await app.MembershipAsync(org.Uid, pending))!.Uid;

        // By email, by user uid, by share uid.
        var result = await Change(org.Uid, owner, "admin", a, bActor.UserUid, already, pendingUid);

        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.True(result.Value.Applied);
        Assert.Equal(3, result.Value.Changed);
        Assert.Equal(["done", "done", "unchanged", "done"], result.Value.Users.Select(u => u.Status));
        foreach (var email in new[] { a, b, already, pending })
            Assert.Equal(OrgRole.Admin, (await app.MembershipAsync(org.Uid, email))!.Role);
        Assert.Equal(3, await AuditCountAsync(org.Uid));
        Assert.False(await app.AuditedAsync(org.Uid, "change_roles", already));
    }

    [Fact]
    public async Task ChangingRole_WhenOnePersonIsRefused_ChangesNobody_AndSaysWhy()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var a = Unique("none-a");
        var b = Unique("none-b");
        await app.Member(org.Uid, a).InviteAndAcceptAsync(owner);
        await app.Member(org.Uid, b).InviteAndAcceptAsync(owner);
        var stranger = Unique("none-stranger");

        var result = await Change(org.Uid, owner, "admin", a, owner.Email!, b, stranger);

        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.False(result.Value.Applied);
        Assert.Equal(0, result.Value.Changed);
        Assert.Equal(["skipped", "not_allowed", "skipped", "not_found"], result.Value.Users.Select(u => u.Status));
        Assert.Contains("transferring ownership", result.Value.Users[1].Notice);
        Assert.Equal(OrgRole.Member, (await app.MembershipAsync(org.Uid, a))!.Role);
        Assert.Equal(OrgRole.Member, (await app.MembershipAsync(org.Uid, b))!.Role);
        Assert.Equal(0, await AuditCountAsync(org.Uid));
    }

    [Fact]
    public async Task ChangingRole_OfYourself_IsRefusedForEveryone()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var admin = await app.Member(org.Uid, Unique("self-admin"), OrgRole.Admin).InviteAndAcceptAsync(owner);
        var other = Unique("self-other");
        await app.Member(org.Uid, other, OrgRole.Admin).InviteAndAcceptAsync(owner);

        var result = await Change(org.Uid, admin, "member", admin.Email!, other);

        Assert.False(result.Value.Applied);
        Assert.Equal("not_allowed", result.Value.Users[0].Status);
        Assert.Equal(OrgRole.Admin, (await app.MembershipAsync(org.Uid, other))!.Role);
    }

    [Fact]
    public async Task ChangingRole_OfMoreThanTenUsers_IsRefused()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var eleven = Enumerable.Range(0, 11).Select(i => $"many{i}@example.test").ToArray();

        var result = await Change(org.Uid, owner, "admin", eleven);

        Assert.False(result.IsSuccess);
        Assert.Equal(ErrorKind.LimitExceeded, result.Error!.Kind);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("owner")]
    [InlineData("superuser")]
    public async Task ChangingRole_ToNothingTheOwnerOrAnUnknownRole_IsRefused(string? role)
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var a = Unique("badrole");
        await app.Member(org.Uid, a).InviteAndAcceptAsync(owner);

        var result = await Change(org.Uid, owner, role, a);

        Assert.False(result.IsSuccess);
        Assert.Equal(OrgRole.Member, (await app.MembershipAsync(org.Uid, a))!.Role);
    }

    [Fact]
    public async Task ChangingRole_AsMember_IsForbidden()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var member = await app.Member(org.Uid, Unique("plain")).InviteAndAcceptAsync(owner);
        var other = Unique("plain-other");
        await app.Member(org.Uid, other).InviteAndAcceptAsync(owner);

        var result = await Change(org.Uid, member, "admin", other);

        Assert.Equal(ErrorKind.Forbidden, result.Error!.Kind);
        Assert.Equal(OrgRole.Member, (await app.MembershipAsync(org.Uid, other))!.Role);
    }

    [Fact]
    public async Task ChangeRoleEndpoint_AppliesAllOrAnswers422WithPerUserResults()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var a = Unique("api-a");
        var b = Unique("api-b");
        await app.Member(org.Uid, a).InviteAndAcceptAsync(owner);
        await app.Member(org.Uid, b).InviteAndAcceptAsync(owner);
        var client = await app.SignedInAsync(owner.Email!);

        var refused = (await client.PostAsync($"/v3/organizations/{org.Uid}/users/change_role", new { users = new[] { a, "nobody@example.test" }, role = "admin" }))
            .EnsureError(HttpStatusCode.UnprocessableEntity);
        Assert.Equal("not_found", refused["users"]![1]!["status"]!.GetValue<string>());
        Assert.Equal(OrgRole.Member, (await app.MembershipAsync(org.Uid, a))!.Role);

        var applied = (await client.PostAsync($"/v3/organizations/{org.Uid}/users/change_role", new { users = new[] { a, b }, role = OrgRoles.UidFor(org.Uid, OrgRole.Admin) }))
            .EnsureStatus(HttpStatusCode.OK).Json;
        Assert.Equal(["done", "done"], applied["users"]!.AsArray().Select(u => u!["status"]!.GetValue<string>()));
        Assert.Equal(OrgRole.Admin, (await app.MembershipAsync(org.Uid, b))!.Role);
    }
}
