using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using static Orgstack.Tests.Support.MembersScenario;

namespace Orgstack.Tests.Members;

public sealed class MemberManagementTests(AppFactory app) : IClassFixture<AppFactory>
{
    private Task<Result<Membership>> Change(string org, string shareUid, Actor actor, string? role, IReadOnlyDictionary<string, IReadOnlyList<string>>? stacks = null) =>
        app.RunAsync<ChangeMemberRoles, Membership>(u => u.HandleAsync(new ChangeMemberRoles.Request(org, shareUid, role, stacks), actor, CancellationToken.None));

    private Task<Result<IReadOnlyList<Membership>>> Remove(string org, Actor actor, params string[] emails) =>
        app.RunAsync<RemoveMembers, IReadOnlyList<Membership>>(u => u.HandleAsync(new RemoveMembers.Request(org, emails), actor, CancellationToken.None));

    private async Task<string> ShareUid(string org, string email) => (await app.MembershipAsync(org, email))!.Uid;

    [Fact]
    public async Task ChangingRoles_OrganizationAndStackRolesInOneUpdate_AppliesBoth()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var website = await app.CreateStackAsync(org.Uid, owner.UserUid, "Website");
        var blog = await app.CreateStackAsync(org.Uid, owner.UserUid, "Blog");
        var email = Unique("change");
        await app.Member(org.Uid, email).InviteAndAcceptAsync(owner, website, "Developer");
        var uid = await ShareUid(org.Uid, email);

        var result = await Change(org.Uid, uid, owner, "admin", new Dictionary<string, IReadOnlyList<string>>
        {
            [website.ApiKey] = [website.Roles["Content Manager"]],
            [blog.ApiKey] = [blog.Roles["Admin"]],
        });

        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.Equal(OrgRole.Admin, (await app.MembershipAsync(org.Uid, email))!.Role);
        var roles = await app.DbAsync(db => db.StackRoleAssignments.Where(a => a.MembershipUid == uid).Select(a => a.RoleUid).OrderBy(r => r).ToListAsync());
        Assert.Equal(new[] { website.Roles["Content Manager"], blog.Roles["Admin"] }.Order(), roles);
        Assert.True(await app.AuditedAsync(org.Uid, "change_roles", email));
    }

    [Fact]
    public async Task ChangingRoles_WithAnEmptyListForAStack_RemovesThatStacksRolesOnly()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var website = await app.CreateStackAsync(org.Uid, owner.UserUid, "Website");
        var blog = await app.CreateStackAsync(org.Uid, owner.UserUid, "Blog");
        var email = Unique("clear");
        await app.Member(org.Uid, email).InviteAndAcceptAsync(owner, website, "Developer");
        var uid = await ShareUid(org.Uid, email);
        await Change(org.Uid, uid, owner, null, new Dictionary<string, IReadOnlyList<string>> { [blog.ApiKey] = [blog.Roles["Developer"]] });

        var result = await Change(org.Uid, uid, owner, null, new Dictionary<string, IReadOnlyList<string>> { [website.ApiKey] = [] });

        Assert.True(result.IsSuccess);
        var stacks = await app.DbAsync(db => db.StackRoleAssignments.Where(a => a.MembershipUid == uid).Select(a => a.StackUid).ToListAsync());
        Assert.Equal([blog.Uid], stacks);
    }

    [Fact]
    public async Task ChangingRoles_OfTheOwner_IsRefused()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var admin = await app.Member(org.Uid, Unique("admin"), OrgRole.Admin).InviteAndAcceptAsync(owner);
        var ownerShare = await ShareUid(org.Uid, owner.Email);

        Assert.Equal(MemberErrors.OwnerChangesOnlyByTransfer, (await Change(org.Uid, ownerShare, admin, "member")).Error);
        Assert.Equal(MemberErrors.OwnerChangesOnlyByTransfer, (await Change(org.Uid, ownerShare, owner, "admin")).Error);
        Assert.Equal(OrgRole.Owner, (await app.MembershipAsync(org.Uid, owner.Email))!.Role);
    }

    [Fact]
    public async Task ChangingRoles_ToOwner_IsRefused()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var email = Unique("promote");
        await app.Member(org.Uid, email).InviteAndAcceptAsync(owner);

        var result = await Change(org.Uid, await ShareUid(org.Uid, email), owner, "owner");

        Assert.Equal(MemberErrors.OwnerChangesOnlyByTransfer, result.Error);
    }

    [Fact]
    public async Task ChangingRoles_AdminChangingOwnRole_IsRefused()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var email = Unique("self");
        var admin = await app.Member(org.Uid, email, OrgRole.Admin).InviteAndAcceptAsync(owner);

        var result = await Change(org.Uid, await ShareUid(org.Uid, email), admin, "member");

        Assert.Equal(MemberErrors.CannotChangeOwnRole, result.Error);
    }

    [Fact]
    public async Task ChangingRoles_AsMember_IsForbidden()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var member = await app.Member(org.Uid, Unique("m1")).InviteAndAcceptAsync(owner);
        var other = Unique("m2");
        await app.Member(org.Uid, other).InviteAndAcceptAsync(owner);

        var result = await Change(org.Uid, await ShareUid(org.Uid, other), member, "admin");

        Assert.Equal(ErrorKind.Forbidden, result.Error!.Kind);
        Assert.Equal(OrgRole.Member, (await app.MembershipAsync(org.Uid, other))!.Role);
    }

    [Fact]
    public async Task ChangingRoles_OfAShareInAnotherOrganization_AnswersNotFound()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var (other, otherOwner) = await app.NewOrganizationAsync();
        var email = Unique("foreign");
        await app.Member(other.Uid, email).InviteAndAcceptAsync(otherOwner);

        var result = await Change(org.Uid, await ShareUid(other.Uid, email), owner, "admin");

        Assert.Equal(MemberErrors.ShareNotFound, result.Error);
    }

    [Fact]
    public async Task Removing_TheOwner_IsRefusedAndNothingIsRemoved()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var admin = await app.Member(org.Uid, Unique("admin"), OrgRole.Admin).InviteAndAcceptAsync(owner);
        var member = Unique("member");
        await app.Member(org.Uid, member).InviteAndAcceptAsync(owner);

        var result = await Remove(org.Uid, admin, member, owner.Email);

        Assert.Equal(MemberErrors.OwnerCannotBeRemoved, result.Error);
        Assert.NotNull(await app.MembershipAsync(org.Uid, member));
        Assert.NotNull(await app.MembershipAsync(org.Uid, owner.Email));
    }

    [Fact]
    public async Task Removing_AMember_TakesEveryStackRoleAwayAtOnce()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var website = await app.CreateStackAsync(org.Uid, owner.UserUid, "Website");
        var email = Unique("leaver");
        await app.Member(org.Uid, email).InviteAndAcceptAsync(owner, website, "Developer", "Admin");
        var uid = await ShareUid(org.Uid, email);

        var result = await Remove(org.Uid, owner, email.ToUpperInvariant());

        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.Null(await app.MembershipAsync(org.Uid, email));
        Assert.False(await app.DbAsync(db => db.StackRoleAssignments.AnyAsync(a => a.MembershipUid == uid)));
        Assert.True(await app.AuditedAsync(org.Uid, "remove", email));
        var actor = await app.ActorAsync(email);
        var access = await app.UseAsync(sp => Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<OrgAccess>(sp).MemberAsync(org.Uid, actor, CancellationToken.None));
        Assert.Equal(CommonErrors.OrganizationNotFound, access.Error);
    }

    [Fact]
    public async Task Removing_APendingInvitation_RevokesItsLink()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var email = Unique("pending");
        await app.InviteAsync(org.Uid, owner, Invitee(email));
        var token = await app.LatestTokenAsync(email);

        var result = await Remove(org.Uid, owner, email);

        Assert.True(result.IsSuccess);
        Assert.True(await app.DbAsync(db => db.ActionTokens.AnyAsync(t => t.TokenHash == Secrets.Hash(token) && t.RevokedAt != null)));
        var accept = await app.RunAsync<Core.Invitations.AcceptInvitation, Core.Invitations.AcceptInvitation.Accepted>(u =>
            u.HandleAsync(new Core.Invitations.AcceptInvitation.Request(token, "A", "B", Scenario.Password), null, CancellationToken.None));
        Assert.Equal(MemberErrors.InvalidLink, accept.Error);
    }

    [Fact]
    public async Task Removing_SeveralWithOneUnknown_RemovesNothing()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var member = Unique("stay");
        await app.Member(org.Uid, member).InviteAndAcceptAsync(owner);

        var result = await Remove(org.Uid, owner, member, Unique("ghost"));

        Assert.Equal(ErrorKind.NotFound, result.Error!.Kind);
        Assert.NotNull(await app.MembershipAsync(org.Uid, member));
    }

    [Fact]
    public async Task Removing_AsMember_IsForbidden()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var member = await app.Member(org.Uid, Unique("m")).InviteAndAcceptAsync(owner);
        var other = Unique("o");
        await app.Member(org.Uid, other).InviteAndAcceptAsync(owner);

        Assert.Equal(ErrorKind.Forbidden, (await Remove(org.Uid, member, other)).Error!.Kind);
    }

    [Fact]
    public async Task SigningIn_RecordsLastLoginOnTheMembership()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var email = Unique("login");
        await app.Member(org.Uid, email).InviteAndAcceptAsync(owner);

        await app.UseAsync(sp => Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<SignIn>(sp)
            .HandleAsync(new SignIn.Request(email, Scenario.Password, null, null, null), CancellationToken.None));

        Assert.NotNull((await app.MembershipAsync(org.Uid, email))!.LastLoginAt);
    }

    [Fact]
    public async Task DemotingAnAdmin_RevokesTheLinksOfInvitationsTheySent()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var adminEmail = Unique("admin");
        var admin = await app.Member(org.Uid, adminEmail, OrgRole.Admin).InviteAndAcceptAsync(owner);
        var invited = Unique("invited");
        await app.InviteAsync(org.Uid, admin, Invitee(invited));
        var token = await app.LatestTokenAsync(invited);

        var result = await Change(org.Uid, await ShareUid(org.Uid, adminEmail), owner, "member");

        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.True(await app.DbAsync(db => db.ActionTokens.AnyAsync(t => t.TokenHash == Secrets.Hash(token) && t.RevokedAt != null)));
        Assert.Equal(MembershipStatus.Pending, (await app.MembershipAsync(org.Uid, invited))!.Status);
    }

    [Fact]
    public async Task RemovingAnAdmin_RevokesTheLinksOfInvitationsTheySent()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var adminEmail = Unique("admin");
        var admin = await app.Member(org.Uid, adminEmail, OrgRole.Admin).InviteAndAcceptAsync(owner);
        var invited = Unique("invited");
        await app.InviteAsync(org.Uid, admin, Invitee(invited));
        var token = await app.LatestTokenAsync(invited);

        Assert.True((await Remove(org.Uid, owner, adminEmail)).IsSuccess);

        Assert.True(await app.DbAsync(db => db.ActionTokens.AnyAsync(t => t.TokenHash == Secrets.Hash(token) && t.RevokedAt != null)));
    }
}
