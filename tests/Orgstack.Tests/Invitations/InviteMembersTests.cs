using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Invitations;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using static Orgstack.Tests.Support.MembersScenario;

namespace Orgstack.Tests.Invitations;

public sealed class InviteMembersTests(AppFactory app) : IClassFixture<AppFactory>
{
    private Task<Result<IReadOnlyList<InviteMembers.Outcome>>> Invite(string org, Actor actor, params InviteMembers.Invitee[] invitees) =>
        app.RunAsync<InviteMembers, IReadOnlyList<InviteMembers.Outcome>>(u => u.HandleAsync(new InviteMembers.Request(org, invitees), actor, CancellationToken.None));

    [Fact]
    public async Task Inviting_WithoutOrganizationRole_IsRejectedForThatAddress()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var email = Unique("norole");

        var outcomes = await app.InviteAsync(org.Uid, owner, new InviteMembers.Invitee(email, []));

        Assert.Equal("invitation.role_required", outcomes[0].Error!.Code);
        Assert.Null(await app.MembershipAsync(org.Uid, email));
    }

    [Fact]
    public async Task Inviting_WithTwoOrganizationRoles_IsRejectedForThatAddress()
    {
        var (org, owner) = await app.NewOrganizationAsync();

        var outcomes = await app.InviteAsync(org.Uid, owner, new InviteMembers.Invitee(Unique("two"), ["admin", "member"]));

        Assert.Equal("invitation.role_required", outcomes[0].Error!.Code);
    }

    [Fact]
    public async Task Inviting_AsOwnerRole_ByAdminOrOwner_IsRefused()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var admin = await app.Member(org.Uid, Unique("admin"), OrgRole.Admin).InviteAndAcceptAsync(owner);

        var byAdmin = await app.InviteAsync(org.Uid, admin, Invitee(Unique("x"), "owner"));
        var byOwner = await app.InviteAsync(org.Uid, owner, Invitee(Unique("y"), OrgRoles.UidFor(org.Uid, OrgRole.Owner)));

        Assert.Equal(MemberErrors.OwnerNotAssignable, byAdmin[0].Error);
        Assert.Equal(MemberErrors.OwnerNotAssignable, byOwner[0].Error);
    }

    [Fact]
    public async Task Inviting_ByAdmin_WithRoleUid_Succeeds()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var admin = await app.Member(org.Uid, Unique("admin"), OrgRole.Admin).InviteAndAcceptAsync(owner);
        var email = Unique("byadmin");

        var outcomes = await app.InviteAsync(org.Uid, admin, Invitee(email, OrgRoles.UidFor(org.Uid, OrgRole.Admin)));

        Assert.Null(outcomes[0].Error);
        var invitation = await app.MembershipAsync(org.Uid, email);
        Assert.Equal(OrgRole.Admin, invitation!.Role);
        Assert.Equal(MembershipStatus.Pending, invitation.Status);
        Assert.Equal(admin.UserUid, invitation.InvitedByUserUid);
    }

    [Fact]
    public async Task Inviting_AsMember_IsForbidden()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var member = await app.Member(org.Uid, Unique("member")).InviteAndAcceptAsync(owner);

        var result = await Invite(org.Uid, member, Invitee(Unique("z")));

        Assert.Equal(ErrorKind.Forbidden, result.Error!.Kind);
    }

    [Fact]
    public async Task Inviting_IntoAnotherOrganization_AnswersNotFound()
    {
        var (org, _) = await app.NewOrganizationAsync();
        var (_, stranger) = await app.NewOrganizationAsync();

        var result = await Invite(org.Uid, stranger, Invitee(Unique("z")));

        Assert.Equal(CommonErrors.OrganizationNotFound, result.Error);
    }

    [Fact]
    public async Task Inviting_SeveralAddresses_RefusesTheBadOnesAndSendsTheRest()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var member = Unique("member");
        await app.Member(org.Uid, member).InviteAndAcceptAsync(owner);
        var pending = Unique("pending");
        await app.InviteAsync(org.Uid, owner, Invitee(pending));
        var good1 = Unique("good1");
        var good2 = Unique("good2");

        var outcomes = await app.InviteAsync(org.Uid, owner,
            Invitee(good1), Invitee("not-an-address"), Invitee(member), Invitee(pending), Invitee(good2.ToUpperInvariant(), "admin"));

        Assert.Null(outcomes[0].Error);
        Assert.Equal(MemberErrors.InvalidEmail, outcomes[1].Error);
        Assert.Equal(MemberErrors.AlreadyMember, outcomes[2].Error);
        Assert.Equal(MemberErrors.AlreadyInvited, outcomes[3].Error);
        Assert.Null(outcomes[4].Error);
        Assert.Equal(good2, outcomes[4].Invitation!.Email);
        Assert.NotNull(await app.MembershipAsync(org.Uid, good1));
        Assert.NotNull(await app.MembershipAsync(org.Uid, good2));
    }

    [Fact]
    public async Task Inviting_BeyondThePlansUserLimit_RefusesOnlyTheExtraAddresses()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        await app.RunAsync<SetPlan, Organization>(u => u.HandleAsync(new SetPlan.Request(org.Uid, null, null, 3, null, null), Actor.System(), CancellationToken.None));
        var a = Unique("a");
        var b = Unique("b");
        var c = Unique("c");

        var outcomes = await app.InviteAsync(org.Uid, owner, Invitee(a), Invitee(b), Invitee(c));

        Assert.Null(outcomes[0].Error);
        Assert.Null(outcomes[1].Error);
        Assert.Equal(MemberErrors.UserLimitReached, outcomes[2].Error);
        Assert.Equal(3, await app.DbAsync(db => db.Memberships.CountAsync(m => m.OrganizationUid == org.Uid)));
    }

    [Fact]
    public async Task Inviting_InParallel_NeverExceedsTheUserLimit()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        await app.RunAsync<SetPlan, Organization>(u => u.HandleAsync(new SetPlan.Request(org.Uid, null, null, 6, null, null), Actor.System(), CancellationToken.None));

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => app.InviteAsync(org.Uid, owner, Invitee(Unique("p" + i)), Invitee(Unique("q" + i))))));

        Assert.Equal(5, outcomes.SelectMany(o => o).Count(o => o.Error is null));
        Assert.Equal(6, await app.DbAsync(db => db.Memberships.CountAsync(m => m.OrganizationUid == org.Uid)));
    }

    [Fact]
    public async Task Inviting_WithStackOfAnotherOrganization_IsRefusedForThatAddress()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var (other, otherOwner) = await app.NewOrganizationAsync();
        var foreign = await app.CreateStackAsync(other.Uid, otherOwner.UserUid);
        var email = Unique("foreign");

        var outcomes = await app.InviteAsync(org.Uid, owner, Invitee(email, "member", foreign, "Developer"));

        Assert.Equal(MemberErrors.StackNotFound, outcomes[0].Error);
        Assert.Null(await app.MembershipAsync(org.Uid, email));
    }

    [Fact]
    public async Task Inviting_WithRoleOfAnotherStack_IsRefusedForThatAddress()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var website = await app.CreateStackAsync(org.Uid, owner.UserUid, "Website");
        var blog = await app.CreateStackAsync(org.Uid, owner.UserUid, "Blog");

        var outcomes = await app.InviteAsync(org.Uid, owner,
            new InviteMembers.Invitee(Unique("mixed"), ["member"], new Dictionary<string, IReadOnlyList<string>> { [website.ApiKey] = [blog.Roles["Admin"]] }));

        Assert.Equal(MemberErrors.StackRoleNotFound, outcomes[0].Error);
    }

    [Fact]
    public async Task Inviting_WithRolesOnSeveralStacks_StoresThemOnThePendingInvitation()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var website = await app.CreateStackAsync(org.Uid, owner.UserUid, "Website");
        var blog = await app.CreateStackAsync(org.Uid, owner.UserUid, "Blog");
        var email = Unique("stacks");

        var outcomes = await app.InviteAsync(org.Uid, owner, new InviteMembers.Invitee(email, ["member"], new Dictionary<string, IReadOnlyList<string>>
        {
            [website.ApiKey] = [website.Roles["Developer"], website.Roles["Content Manager"]],
            [blog.ApiKey] = [blog.Roles["Admin"]],
        }));

        var uid = outcomes[0].Invitation!.Uid;
        var assignments = await app.DbAsync(db => db.StackRoleAssignments.Where(a => a.MembershipUid == uid).ToListAsync());
        Assert.Equal(3, assignments.Count);
        Assert.Equal(2, assignments.Count(a => a.StackUid == website.Uid));
    }

    [Fact]
    public async Task Inviting_WritesTheMailWithTheAcceptLink_TheAuditEvent_AndOnlyTheTokenHash()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var email = Unique("mail");

        var outcomes = await app.InviteAsync(org.Uid, owner, Invitee(email));

        var mail = Assert.Single(await app.MailsToAsync(email, "invitation"));
        Assert.Contains("http://orgstack.test/invitations/accept?token=", mail.TextBody);
        var token = TokenIn(mail.TextBody);
        var uid = outcomes[0].Invitation!.Uid;
        var row = await app.DbAsync(db => db.ActionTokens.AsNoTracking().SingleAsync(t => t.SubjectUid == uid));
        Assert.Equal(TokenPurpose.Invitation, row.Purpose);
        Assert.Equal(Secrets.Hash(token), row.TokenHash);
        Assert.NotEqual(token, row.TokenHash);
        Assert.False(await app.DbAsync(db => db.ActionTokens.AnyAsync(t => t.TokenHash == token)));
        Assert.True(await app.AuditedAsync(org.Uid, "invite", email));
    }

    [Fact]
    public async Task Inviting_TenThousandAddressesInOneRequest_InvitesThemAll()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        await app.RunAsync<SetPlan, Organization>(u => u.HandleAsync(new SetPlan.Request(org.Uid, null, null, 20_000, null, null), Actor.System(), CancellationToken.None));
        var invitees = Enumerable.Range(0, 10_000).Select(i => Invitee($"bulk{i}@{org.Uid}.example.test")).ToArray();

        var outcomes = await app.InviteAsync(org.Uid, owner, invitees);

        Assert.All(outcomes, o => Assert.Null(o.Error));
        Assert.Equal(10_001, await app.DbAsync(db => db.Memberships.CountAsync(m => m.OrganizationUid == org.Uid)));
        Assert.Equal(10_000, await app.DbAsync(db => db.OutboxMessages.CountAsync(m => m.OrganizationUid == org.Uid && m.Kind == "invitation")));
    }
}
