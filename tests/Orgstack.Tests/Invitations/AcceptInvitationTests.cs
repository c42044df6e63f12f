using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Invitations;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using static Orgstack.Tests.Support.MembersScenario;

namespace Orgstack.Tests.Invitations;

public sealed class AcceptInvitationTests(AppFactory app) : IClassFixture<AppFactory>
{
    private Task<Result<AcceptInvitation.Accepted>> Accept(string? token, Actor? actor = null, string password = Scenario.Password) =>
        app.RunAsync<AcceptInvitation, AcceptInvitation.Accepted>(u =>
            u.HandleAsync(new AcceptInvitation.Request(token, "Nina", "New", password), actor, CancellationToken.None));

    private async Task<(Organization Org, Actor Owner, string Email, string Token)> InvitedAsync(string role = "member", TestStack? stack = null, params string[] stackRoles)
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var email = Unique("invitee");
        await app.InviteAsync(org.Uid, owner, Invitee(email, role, stack, stackRoles));
        return (org, owner, email, await app.LatestTokenAsync(email));
    }

    [Fact]
    public async Task Accepting_AsNewPerson_CreatesTheAccountAndMembershipWithStackRoles()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var stack = await app.CreateStackAsync(org.Uid, owner.UserUid);
        var email = Unique("new");
        await app.InviteAsync(org.Uid, owner, Invitee(email, "admin", stack, "Developer"));

        var result = await Accept(await app.LatestTokenAsync(email));

        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.True(result.Value.AccountCreated);
        var membership = await app.MembershipAsync(org.Uid, email);
        Assert.Equal(MembershipStatus.Accepted, membership!.Status);
        Assert.Equal(OrgRole.Admin, membership.Role);
        Assert.Equal(result.Value.User.Uid, membership.UserUid);
        Assert.Equal("Nina", membership.FirstName);
        Assert.Equal("nina new", membership.SortName);
        var roles = await app.DbAsync(db => db.StackRoleAssignments.Where(a => a.MembershipUid == membership.Uid).Select(a => a.RoleUid).ToListAsync());
        Assert.Equal([stack.Roles["Developer"]], roles);
        Assert.True(await app.AuditedAsync(org.Uid, "accept_invitation", email));
        var signIn = await app.UseAsync(sp => sp.GetRequiredService<SignIn>().HandleAsync(new SignIn.Request(email, Scenario.Password, null, null, null), CancellationToken.None));
        Assert.True(signIn.IsSuccess);
    }

    [Fact]
    public async Task Accepting_TheSameLinkTwice_SecondIsRefused()
    {
        var (_, _, _, token) = await InvitedAsync();

        Assert.True((await Accept(token)).IsSuccess);
        var again = await Accept(token);

        Assert.Equal(MemberErrors.InvalidLink, again.Error);
    }

    [Fact]
    public async Task Accepting_InParallel_OnlyOneSucceeds()
    {
        var (org, _, email, token) = await InvitedAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => Accept(token))));

        Assert.Equal(1, results.Count(r => r.IsSuccess));
        Assert.Equal(1, await app.DbAsync(db => db.Users.CountAsync(u => u.Email == email)));
        Assert.Equal(MembershipStatus.Accepted, (await app.MembershipAsync(org.Uid, email))!.Status);
    }

    [Fact]
    public async Task Accepting_AnExpiredLink_IsRefusedWithTheGenericError()
    {
        var clock = new TestClock();
        await using var timed = app.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<TimeProvider>(clock)));
        var (org, owner) = await app.NewOrganizationAsync();
        var email = Unique("late");
        await timed.InviteAsync(org.Uid, owner, Invitee(email));
        var token = await timed.LatestTokenAsync(email);

        clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        var result = await timed.RunAsync<AcceptInvitation, AcceptInvitation.Accepted>(u =>
            u.HandleAsync(new AcceptInvitation.Request(token, "Late", "Comer", Scenario.Password), null, CancellationToken.None));

        Assert.Equal(MemberErrors.InvalidLink, result.Error);
        Assert.Equal(MembershipStatus.Pending, (await app.MembershipAsync(org.Uid, email))!.Status);
    }

    [Fact]
    public async Task Accepting_JustBeforeExpiry_Succeeds()
    {
        var clock = new TestClock();
        await using var timed = app.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<TimeProvider>(clock)));
        var (org, owner) = await app.NewOrganizationAsync();
        var email = Unique("intime");
        await timed.InviteAsync(org.Uid, owner, Invitee(email));
        var token = await timed.LatestTokenAsync(email);

        clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1));
        var result = await timed.RunAsync<AcceptInvitation, AcceptInvitation.Accepted>(u =>
            u.HandleAsync(new AcceptInvitation.Request(token, "In", "Time", Scenario.Password), null, CancellationToken.None));

        Assert.True(result.IsSuccess, result.Error?.Message);
    }

    [Fact]
    public async Task Accepting_AnUnknownOrEmptyToken_GivesTheSameGenericError()
    {
        Assert.Equal(MemberErrors.InvalidLink, (await Accept("no-such-token")).Error);
        Assert.Equal(MemberErrors.InvalidLink, (await Accept(null)).Error);
        Assert.Equal(MemberErrors.InvalidLink, (await Accept(new string('x', 5000))).Error);
    }

    [Fact]
    public async Task Resending_InvalidatesTheOldLink_AndTheNewOneWorks()
    {
        var (org, owner, email, oldToken) = await InvitedAsync();
        var uid = (await app.MembershipAsync(org.Uid, email))!.Uid;

        var resent = await app.RunAsync<ResendInvitation, Membership>(u => u.HandleAsync(new ResendInvitation.Request(org.Uid, uid), owner, CancellationToken.None));
        var newToken = await app.LatestTokenAsync(email);

        Assert.True(resent.IsSuccess);
        Assert.NotEqual(oldToken, newToken);
        Assert.Equal(2, (await app.MailsToAsync(email, "invitation")).Count);
        Assert.Equal(MemberErrors.InvalidLink, (await Accept(oldToken)).Error);
        Assert.True((await Accept(newToken)).IsSuccess);
        Assert.True(await app.AuditedAsync(org.Uid, "resend_invitation", email));
    }

    [Fact]
    public async Task Resending_AnAcceptedMembership_IsRefused()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var email = Unique("done");
        await app.Member(org.Uid, email).InviteAndAcceptAsync(owner);
        var uid = (await app.MembershipAsync(org.Uid, email))!.Uid;

        var resent = await app.RunAsync<ResendInvitation, Membership>(u => u.HandleAsync(new ResendInvitation.Request(org.Uid, uid), owner, CancellationToken.None));

        Assert.Equal(MemberErrors.NotPending, resent.Error);
    }

    [Fact]
    public async Task Revoking_AnInvitation_MakesItsLinkInvalid()
    {
        var (org, owner, email, token) = await InvitedAsync();
        var uid = (await app.MembershipAsync(org.Uid, email))!.Uid;

        var revoked = await app.RunAsync<RevokeInvitation, Membership>(u => u.HandleAsync(new RevokeInvitation.Request(org.Uid, uid), owner, CancellationToken.None));

        Assert.True(revoked.IsSuccess);
        Assert.Null(await app.MembershipAsync(org.Uid, email));
        Assert.Equal(MemberErrors.InvalidLink, (await Accept(token)).Error);
        Assert.True(await app.AuditedAsync(org.Uid, "revoke_invitation", email));
    }

    [Fact]
    public async Task Accepting_SignedInAsAnotherUser_IsRefused()
    {
        var (org, _, email, token) = await InvitedAsync();
        var (_, someoneElse) = await app.NewOrganizationAsync();

        var result = await Accept(token, someoneElse);

        Assert.Equal(MemberErrors.WrongAccount, result.Error);
        Assert.Equal(MembershipStatus.Pending, (await app.MembershipAsync(org.Uid, email))!.Status);
        Assert.True((await Accept(token)).IsSuccess);
    }

    [Fact]
    public async Task Accepting_SignedInAsTheInvitedUser_JoinsWithTheExistingAccount()
    {
        var (_, existing) = await app.NewOrganizationAsync();
        var (org, owner) = await app.NewOrganizationAsync();
        await app.InviteAsync(org.Uid, owner, Invitee(existing.Email));
        var token = await app.LatestTokenAsync(existing.Email);

        var result = await Accept(token, existing);

        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.False(result.Value.AccountCreated);
        Assert.Equal(existing.UserUid, (await app.MembershipAsync(org.Uid, existing.Email))!.UserUid);
    }

    [Fact]
    public async Task Accepting_AsNewPerson_WhenTheAddressHasAnAccount_AsksToSignIn()
    {
        var (_, existing) = await app.NewOrganizationAsync();
        var (org, owner) = await app.NewOrganizationAsync();
        await app.InviteAsync(org.Uid, owner, Invitee(existing.Email));
        var token = await app.LatestTokenAsync(existing.Email);

        var result = await Accept(token);

        Assert.Equal(MemberErrors.SignInToAccept, result.Error);
        Assert.Equal(MembershipStatus.Pending, (await app.MembershipAsync(org.Uid, existing.Email))!.Status);
        Assert.True((await Accept(token, existing)).IsSuccess);
    }

    [Fact]
    public async Task Accepting_WithAWeakPassword_IsRefusedAndTheLinkStillWorks()
    {
        var (_, _, _, token) = await InvitedAsync();

        var weak = await Accept(token, password: "password");

        Assert.Equal(ErrorKind.Validation, weak.Error!.Kind);
        Assert.StartsWith("password.", weak.Error.Code);
        Assert.True((await Accept(token)).IsSuccess);
    }

    [Fact]
    public async Task Describing_ShowsTheOrganizationAndDoesNotConsumeTheLink()
    {
        var (org, _, email, token) = await InvitedAsync("admin");

        var view = await app.RunAsync<DescribeInvitation, InvitationView>(u => u.HandleAsync(token, null, CancellationToken.None));
        await app.RunAsync<DescribeInvitation, InvitationView>(u => u.HandleAsync(token, null, CancellationToken.None));

        Assert.Equal(org.Name, view.Value.OrganizationName);
        Assert.Equal(email, view.Value.Email);
        Assert.Equal(OrgRole.Admin, view.Value.Role);
        Assert.True((await Accept(token)).IsSuccess);
        Assert.Equal(MemberErrors.InvalidLink, (await app.RunAsync<DescribeInvitation, InvitationView>(u => u.HandleAsync(token, null, CancellationToken.None))).Error);
    }

    [Fact]
    public async Task AnInvitationToken_CannotAcceptAnOwnershipTransfer()
    {
        var (_, _, email, token) = await InvitedAsync();
        await Accept(token);
        var actor = await app.ActorAsync(email);

        var result = await app.RunAsync<AcceptOwnershipTransfer, Membership>(u => u.HandleAsync(new AcceptOwnershipTransfer.Request(token), actor, CancellationToken.None));

        Assert.Equal(MemberErrors.InvalidTransferLink, result.Error);
    }
}
