using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using Xunit.Abstractions;

namespace Orgstack.Tests.Compat;

/// <summary>
/// The official @contentstack/management SDK (npm, pinned in tests/compat/package-lock.json) against the real server on
/// Kestrel. Each test runs one scenario script from tests/compat/scenarios, which asserts the SDK's view; the test
/// then checks what landed in the database.
/// </summary>
public sealed class SdkCompatTests(CompatServer server, ITestOutputHelper output) : IClassFixture<CompatServer>
{
    private AppFactory App => server.App;

    private async Task Run(string scenario, IReadOnlyDictionary<string, string> variables)
    {
        if (server.InstallNote is { } note) output.WriteLine(note);
        var outcome = await server.RunScenarioAsync(scenario, variables);
        output.WriteLine($"{scenario}: {outcome.Elapsed.TotalSeconds:F1} s {outcome.Summary?.ToJsonString()}");
    }

    private static Dictionary<string, string> Owner(CompatSeed.Org org) => new()
    {
        ["ORGSTACK_EMAIL"] = org.OwnerEmail,
        ["ORGSTACK_PASSWORD"] = Scenario.Password,
        ["ORGSTACK_ORG_UID"] = org.Uid,
    };

    [Fact]
    public async Task Sdk_Login_WithIncludeOrgsRoles_KeepsAuthtokenAndShowsOrgRoles()
    {
        var org = await App.NewOrganizationAsync("Login");

        await Run("login", Owner(org));

        var sessions = await App.WithDbAsync(db => db.Sessions.CountAsync(s => s.UserUid == org.OwnerUid && s.RevokedAt == null));
        Assert.True(sessions >= 2, "each SDK login opens a session");
    }

    [Fact]
    public async Task Sdk_LoginWithMfaSecret_SignsInWithTotp_AndWithoutItAnswers294WithTfaType()
    {
        var org = await App.NewOrganizationAsync("Login MFA");
        var secret = await App.CompatEnrollTotpAsync(org.OwnerUid, org.OwnerEmail);

        await Run("login-mfa", new Dictionary<string, string>(Owner(org)) { ["ORGSTACK_MFA_SECRET"] = secret });

        var sessions = await App.WithDbAsync(db => db.Sessions.CountAsync(s => s.UserUid == org.OwnerUid && s.RevokedAt == null));
        Assert.Equal(1, sessions);
        var logins = await App.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.TargetUid == org.OwnerUid && e.EventType == "login"));
        Assert.Equal(1, logins);
    }

    [Fact]
    public async Task Sdk_GetUser_WithOrgRoles_ShowsOwnerAsAdminAndMemberAsNonAdmin()
    {
        var org = await App.NewOrganizationAsync("User");
        var member = await App.Member(org, org.Email("member")).AddAsync();

        await Run("user", new Dictionary<string, string>(Owner(org))
        {
            ["ORGSTACK_MEMBER_EMAIL"] = member.Email,
            ["ORGSTACK_MEMBER_PASSWORD"] = Scenario.Password,
        });
    }

    [Fact]
    public async Task Sdk_OrganizationFetchAll_WithIncludeCount_CountsAndPagesTheCallersOrganizations()
    {
        var org = await App.NewOrganizationAsync("Orgs A");
        var second = await App.NewOrganizationAsync("Orgs B", org.OwnerEmail);
        var third = await App.NewOrganizationAsync("Orgs C", org.OwnerEmail);
        await App.NewOrganizationAsync("Not mine");

        await Run("organizations", new Dictionary<string, string>(Owner(org))
        {
            ["ORGSTACK_ORG_UIDS"] = string.Join(',', org.Uid, second.Uid, third.Uid),
        });
    }

    [Fact]
    public async Task Sdk_OrganizationFetch_WithIncludePlan_AnswersOrganizationWithPlanFeatures()
    {
        var org = await App.NewOrganizationAsync("Plan");
        var other = await App.NewOrganizationAsync("Foreign");

        await Run("organization-fetch", new Dictionary<string, string>(Owner(org))
        {
            ["ORGSTACK_OTHER_ORG_UID"] = other.Uid,
        });
    }

    [Fact]
    public async Task Sdk_OrganizationRoles_ListsAdminAndMember_AndRefusesAMember()
    {
        var org = await App.NewOrganizationAsync("Roles");
        var member = await App.Member(org, org.Email("member")).AddAsync();

        await Run("org-roles", new Dictionary<string, string>(Owner(org))
        {
            ["ORGSTACK_MEMBER_EMAIL"] = member.Email,
            ["ORGSTACK_MEMBER_PASSWORD"] = Scenario.Password,
        });
    }

    [Fact]
    public async Task Sdk_AddUser_SeveralAddressesWithStackRoles_CreatesPendingInvitationsWithStackRoles()
    {
        var org = await App.NewOrganizationAsync("Invite");
        var member = await App.Member(org, org.Email("member")).AddAsync();
        var stack = await App.AddStackAsync(org, "Website");
        string[] invitees = [org.Email("ann"), org.Email("bob"), org.Email("cy"), org.Email("dee")];

        await Run("invite", new Dictionary<string, string>(Owner(org))
        {
            ["ORGSTACK_INVITEES"] = string.Join(',', invitees),
            ["ORGSTACK_STACK_API_KEY"] = stack.ApiKey,
            ["ORGSTACK_STACK_ROLE_UID"] = stack.Roles["Developer"],
            ["ORGSTACK_MEMBER_EMAIL"] = member.Email,
        });

        await App.WithDbAsync(async db =>
        {
            var pending = await db.Memberships.Where(m => m.OrganizationUid == org.Uid && m.Status == MembershipStatus.Pending).ToListAsync();
            Assert.Equal(invitees.Order(), pending.Select(m => m.Email).Order());
            Assert.Equal(OrgRole.Admin, pending.Single(m => m.Email == invitees[0]).Role);
            Assert.Equal(OrgRole.Member, pending.Single(m => m.Email == invitees[1]).Role);
            var withStackRoles = await db.StackRoleAssignments.Where(a => a.StackUid == stack.Uid && a.RoleUid == stack.Roles["Developer"])
                .Select(a => a.MembershipUid).ToListAsync();
            Assert.Equal(new[] { invitees[0], invitees[2] }.Order(),
                pending.Where(m => withStackRoles.Contains(m.Uid)).Select(m => m.Email).Order());
            var stillMember = await db.Memberships.SingleAsync(m => m.Uid == member.MembershipUid);
            Assert.Equal((MembershipStatus.Accepted, OrgRole.Member), (stillMember.Status, stillMember.Role));
            foreach (var email in invitees)
                Assert.True(await db.OutboxMessages.AnyAsync(m => m.ToAddress == email), $"no invitation email to {email}");
            return 0;
        });
    }

    [Fact]
    public async Task Sdk_GetInvitations_ListsMembersAndInvitations_WithCountPagingAndCliFields()
    {
        var org = await App.NewOrganizationAsync("Invitations");

        await Run("invitations", new Dictionary<string, string>(Owner(org))
        {
            ["ORGSTACK_INVITEES"] = string.Join(',', org.Email("a1"), org.Email("b2"), org.Email("c3"), org.Email("d4")),
        });
    }

    [Fact]
    public async Task Sdk_ResendInvitation_OnTheSdkRoute_SendsAnotherEmail()
    {
        var org = await App.NewOrganizationAsync("Resend");
        var invitee = org.Email("again");

        await Run("resend", new Dictionary<string, string>(Owner(org)) { ["ORGSTACK_INVITEES"] = invitee });

        var mails = await App.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.ToAddress == invitee));
        Assert.Equal(2, mails);
    }

    [Fact]
    public async Task Sdk_OrganizationStacks_ListsTheOrganizationsStacks_WithCountAndPaging()
    {
        var org = await App.NewOrganizationAsync("Org stacks");
        var a = await App.AddStackAsync(org, "Alpha");
        var b = await App.AddStackAsync(org, "Beta");
        var c = await App.AddStackAsync(org, "Gamma");
        var elsewhere = await App.NewOrganizationAsync("Other stacks");
        await App.AddStackAsync(elsewhere, "Not listed");

        await Run("org-stacks", new Dictionary<string, string>(Owner(org))
        {
            ["ORGSTACK_STACK_API_KEYS"] = string.Join(',', a.ApiKey, b.ApiKey, c.ApiKey),
        });
    }

    [Fact]
    public async Task Sdk_StackCreate_InBothSdkForms_CreatesFetchesUpdatesAndQueriesStacks()
    {
        var org = await App.NewOrganizationAsync("Stacks A");
        var second = await App.NewOrganizationAsync("Stacks B", org.OwnerEmail);

        await Run("stack-create", new Dictionary<string, string>(Owner(org))
        {
            ["ORGSTACK_ORG_UIDS"] = string.Join(',', org.Uid, second.Uid),
        });

        var stacks = await App.WithDbAsync(db => db.Stacks.Where(s => s.OrganizationUid == org.Uid || s.OrganizationUid == second.Uid).ToListAsync());
        Assert.Equal(2, stacks.Count);
        Assert.All(stacks, s => Assert.Equal(org.OwnerUid, s.OwnerUserUid));
        Assert.Contains(stacks, s => s.OrganizationUid == org.Uid && s.Name == "Compat Website (renamed)");
    }

    [Fact]
    public async Task Sdk_StackRoles_CreateFetchAllFetchUpdateDelete_AndBuiltInRolesStay()
    {
        var org = await App.NewOrganizationAsync("Stack roles");

        await Run("stack-roles", Owner(org));

        var names = await App.WithDbAsync(db => (from r in db.StackRoles
                                                 join s in db.Stacks on r.StackUid equals s.Uid
                                                 where s.OrganizationUid == org.Uid
                                                 select r.Name).ToListAsync());
        Assert.Equal(MembersScenario.BuiltInStackRoles.Order(), names.Order());
    }

    [Fact]
    public async Task Sdk_StackShareAndUnShare_GiveAndTakeAMembersStackAccess()
    {
        var org = await App.NewOrganizationAsync("Share");
        var member = await App.Member(org, org.Email("member")).AddAsync();
        var outsider = await App.NewOrganizationAsync("Outside");

        await Run("share", new Dictionary<string, string>(Owner(org))
        {
            ["ORGSTACK_MEMBER_EMAIL"] = member.Email,
            ["ORGSTACK_MEMBER_PASSWORD"] = Scenario.Password,
            ["ORGSTACK_OUTSIDER_EMAIL"] = outsider.OwnerEmail,
        });

        var left = await App.WithDbAsync(db => db.StackRoleAssignments.CountAsync(a => a.MembershipUid == member.MembershipUid));
        Assert.Equal(0, left);
    }

    [Fact]
    public async Task Sdk_StackUsers_ReadsCollaboratorsIncludingCreatorAndSharedMember()
    {
        var org = await App.NewOrganizationAsync("Stack users");
        var member = await App.Member(org, org.Email("member")).AddAsync();

        await Run("stack-users", new Dictionary<string, string>(Owner(org))
        {
            ["ORGSTACK_MEMBER_EMAIL"] = member.Email,
        });
    }

    [Fact]
    public async Task Sdk_TransferOwnership_ByOwner_StartsAPendingTransfer_AndAnAdminIsForbidden()
    {
        var org = await App.NewOrganizationAsync("Transfer");
        var nominee = await App.Member(org, org.Email("nominee")).AddAsync();
        var admin = await App.Member(org, org.Email("admin"), OrgRole.Admin).AddAsync();

        await Run("transfer", new Dictionary<string, string>(Owner(org))
        {
            ["ORGSTACK_NOMINEE_EMAIL"] = nominee.Email,
            ["ORGSTACK_ADMIN_EMAIL"] = admin.Email,
            ["ORGSTACK_ADMIN_PASSWORD"] = Scenario.Password,
        });

        await App.WithDbAsync(async db =>
        {
            var transfer = await db.OwnershipTransfers.SingleAsync(t => t.OrganizationUid == org.Uid);
            Assert.Equal((TransferStatus.Pending, nominee.Email), (transfer.Status, transfer.ToEmail));
            var owner = await db.Memberships.SingleAsync(m => m.OrganizationUid == org.Uid && m.Role == OrgRole.Owner);
            Assert.Equal(org.OwnerUid, owner.UserUid);
            Assert.True(await db.OutboxMessages.AnyAsync(m => m.ToAddress == nominee.Email), "no email to the nominee");
            return 0;
        });
    }

    [Fact]
    public async Task Sdk_Logout_RevokesOnlyThatSession_AndTheTokenStopsWorking()
    {
        var org = await App.NewOrganizationAsync("Logout");

        await Run("logout", Owner(org));

        var live = await App.WithDbAsync(db => db.Sessions.CountAsync(s => s.UserUid == org.OwnerUid && s.RevokedAt == null));
        Assert.Equal(0, live);
    }
}
