using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using static Orgstack.Tests.Support.MembersScenario;

namespace Orgstack.Tests.Members;

public sealed class OwnershipTransferTests(AppFactory app) : IClassFixture<AppFactory>
{
    private Task<Result<OwnershipTransfer>> Start(string org, Actor actor, string to) =>
        app.RunAsync<StartOwnershipTransfer, OwnershipTransfer>(u => u.HandleAsync(new StartOwnershipTransfer.Request(org, to), actor, CancellationToken.None));

    private Task<Result<Membership>> Accept(string token, Actor actor) =>
        app.RunAsync<AcceptOwnershipTransfer, Membership>(u => u.HandleAsync(new AcceptOwnershipTransfer.Request(token), actor, CancellationToken.None));

    private Task<List<Membership>> Owners(string org) =>
        app.DbAsync(db => db.Memberships.AsNoTracking().Where(m => m.OrganizationUid == org && m.Role == OrgRole.Owner).ToListAsync());

    [Fact]
    public async Task Starting_ByAnAdmin_IsForbidden()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var admin = await app.Member(org.Uid, Unique("admin"), OrgRole.Admin).InviteAndAcceptAsync(owner);

        var result = await Start(org.Uid, admin, admin.Email);

        Assert.Equal(CommonErrors.NotOwner, result.Error);
    }

    [Fact]
    public async Task Starting_SendsTheMailWithTheLink_AndAudits()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var nominee = Unique("nominee");

        var result = await Start(org.Uid, owner, nominee);

        Assert.True(result.IsSuccess, result.Error?.Message);
        var mail = Assert.Single(await app.MailsToAsync(nominee, "ownership_transfer"));
        Assert.Contains("http://orgstack.test/ownership/accept?token=", mail.TextBody);
        var token = TokenIn(mail.TextBody);
        Assert.True(await app.DbAsync(db => db.ActionTokens.AnyAsync(t => t.TokenHash == Secrets.Hash(token) && t.Purpose == TokenPurpose.OwnershipTransfer)));
        Assert.False(await app.DbAsync(db => db.ActionTokens.AnyAsync(t => t.TokenHash == token)));
        Assert.True(await app.AuditedAsync(org.Uid, "start_ownership_transfer", nominee));
    }

    [Fact]
    public async Task Starting_WhileOneIsPending_IsRefused()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        Assert.True((await Start(org.Uid, owner, Unique("first"))).IsSuccess);

        var second = await Start(org.Uid, owner, Unique("second"));

        Assert.Equal(MemberErrors.TransferPending, second.Error);
    }

    [Fact]
    public async Task Starting_InParallel_LeavesOnePendingTransfer()
    {
        var (org, owner) = await app.NewOrganizationAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() => Start(org.Uid, owner, Unique("par" + i)))));

        Assert.Equal(1, results.Count(r => r.IsSuccess));
        Assert.Equal(1, await app.DbAsync(db => db.OwnershipTransfers.CountAsync(t => t.OrganizationUid == org.Uid && t.Status == TransferStatus.Pending)));
    }

    [Fact]
    public async Task Cancelling_StopsTheLink_AndAllowsANewTransfer()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var nominee = await app.Member(org.Uid, Unique("nominee")).InviteAndAcceptAsync(owner);
        await Start(org.Uid, owner, nominee.Email);
        var token = await app.LatestTokenAsync(nominee.Email, "ownership_transfer");

        var cancelled = await app.RunAsync<CancelOwnershipTransfer, OwnershipTransfer>(u => u.HandleAsync(org.Uid, owner, CancellationToken.None));

        Assert.True(cancelled.IsSuccess);
        Assert.Equal(MemberErrors.InvalidTransferLink, (await Accept(token, nominee)).Error);
        Assert.True((await Start(org.Uid, owner, nominee.Email)).IsSuccess);
        Assert.True(await app.AuditedAsync(org.Uid, "cancel_ownership_transfer"));
    }

    [Fact]
    public async Task Cancelling_WithoutAPendingTransfer_AnswersNotFound()
    {
        var (org, owner) = await app.NewOrganizationAsync();

        var result = await app.RunAsync<CancelOwnershipTransfer, OwnershipTransfer>(u => u.HandleAsync(org.Uid, owner, CancellationToken.None));

        Assert.Equal(MemberErrors.NoPendingTransfer, result.Error);
    }

    [Fact]
    public async Task Accepting_SwapsRoles_AndThePreviousOwnerKeepsTheirStacks()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var created = await app.CreateStackAsync(org.Uid, owner.UserUid, "Owner's own");
        var nominee = await app.Member(org.Uid, Unique("nominee"), OrgRole.Admin).InviteAndAcceptAsync(owner);
        var shared = await app.CreateStackAsync(org.Uid, nominee.UserUid, "Shared");
        var ownerShare = (await app.MembershipAsync(org.Uid, owner.Email))!.Uid;
        await app.RunAsync<ChangeMemberRoles, Membership>(u => u.HandleAsync(new ChangeMemberRoles.Request(org.Uid, ownerShare, null,
            new Dictionary<string, IReadOnlyList<string>> { [shared.ApiKey] = [shared.Roles["Developer"]] }), nominee, CancellationToken.None));
        await Start(org.Uid, owner, nominee.Email);

        var result = await Accept(await app.LatestTokenAsync(nominee.Email, "ownership_transfer"), nominee);

        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.Equal(nominee.Email, Assert.Single(await Owners(org.Uid)).Email);
        Assert.Equal(OrgRole.Member, (await app.MembershipAsync(org.Uid, owner.Email))!.Role);
        Assert.Equal(owner.UserUid, await app.DbAsync(db => db.Stacks.Where(s => s.Uid == created.Uid).Select(s => s.OwnerUserUid).FirstAsync()));
        Assert.True(await app.DbAsync(db => db.StackRoleAssignments.AnyAsync(a => a.MembershipUid == ownerShare && a.StackUid == shared.Uid)));
        Assert.True(await app.AuditedAsync(org.Uid, "accept_ownership_transfer", nominee.Email));
        Assert.Equal(TransferStatus.Accepted, await app.DbAsync(db => db.OwnershipTransfers.Where(t => t.OrganizationUid == org.Uid).Select(t => t.Status).FirstAsync()));
    }

    [Fact]
    public async Task Accepting_ByAPersonOutsideTheOrganization_MakesThemMemberAndOwner()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var (_, outsider) = await app.NewOrganizationAsync();
        await Start(org.Uid, owner, outsider.Email);

        var result = await Accept(await app.LatestTokenAsync(outsider.Email, "ownership_transfer"), outsider);

        Assert.True(result.IsSuccess, result.Error?.Message);
        var membership = await app.MembershipAsync(org.Uid, outsider.Email);
        Assert.Equal(OrgRole.Owner, membership!.Role);
        Assert.Equal(MembershipStatus.Accepted, membership.Status);
        Assert.Equal(outsider.UserUid, membership.UserUid);
        Assert.Equal(OrgRole.Member, (await app.MembershipAsync(org.Uid, owner.Email))!.Role);
    }

    [Fact]
    public async Task Accepting_SignedInAsSomeoneElse_IsRefused()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var nominee = Unique("nominee");
        var bystander = await app.Member(org.Uid, Unique("bystander"), OrgRole.Admin).InviteAndAcceptAsync(owner);
        await Start(org.Uid, owner, nominee);

        var result = await Accept(await app.LatestTokenAsync(nominee, "ownership_transfer"), bystander);

        Assert.Equal(MemberErrors.WrongTransferAccount, result.Error);
        Assert.Equal(owner.Email, Assert.Single(await Owners(org.Uid)).Email);
    }

    [Fact]
    public async Task Starting_ToTheOwnersOwnAddress_IsRefused()
    {
        var (org, owner) = await app.NewOrganizationAsync();

        Assert.Equal(MemberErrors.TransferToSelf, (await Start(org.Uid, owner, owner.Email.ToUpperInvariant())).Error);
    }

    [Fact]
    public async Task Accepting_InParallel_EndsWithExactlyOneOwner()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var nominee = await app.Member(org.Uid, Unique("racer")).InviteAndAcceptAsync(owner);
        await Start(org.Uid, owner, nominee.Email);
        var token = await app.LatestTokenAsync(nominee.Email, "ownership_transfer");

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Accept(token, nominee))));

        Assert.Equal(1, results.Count(r => r.IsSuccess));
        Assert.Equal(nominee.Email, Assert.Single(await Owners(org.Uid)).Email);
    }

    [Fact]
    public async Task Accepting_AnExpiredTransfer_IsRefused_AndANewOneCanStart()
    {
        var clock = new TestClock();
        await using var timed = app.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<TimeProvider>(clock)));
        var (org, owner) = await app.NewOrganizationAsync();
        var nominee = await app.Member(org.Uid, Unique("slow")).InviteAndAcceptAsync(owner);
        var started = await timed.RunAsync<StartOwnershipTransfer, OwnershipTransfer>(u => u.HandleAsync(new StartOwnershipTransfer.Request(org.Uid, nominee.Email), owner, CancellationToken.None));
        Assert.True(started.IsSuccess);
        var token = await timed.LatestTokenAsync(nominee.Email, "ownership_transfer");

        clock.Advance(TimeSpan.FromHours(72) + TimeSpan.FromMinutes(1));
        var late = await timed.RunAsync<AcceptOwnershipTransfer, Membership>(u => u.HandleAsync(new AcceptOwnershipTransfer.Request(token), nominee, CancellationToken.None));
        var again = await timed.RunAsync<StartOwnershipTransfer, OwnershipTransfer>(u => u.HandleAsync(new StartOwnershipTransfer.Request(org.Uid, nominee.Email), owner, CancellationToken.None));

        Assert.Equal(MemberErrors.InvalidTransferLink, late.Error);
        Assert.Equal(owner.Email, Assert.Single(await Owners(org.Uid)).Email);
        Assert.True(again.IsSuccess, again.Error?.Message);
    }

    [Fact]
    public async Task Accepting_AfterOwnershipMovedOtherwise_IsRefused()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var first = await app.Member(org.Uid, Unique("first")).InviteAndAcceptAsync(owner);
        await Start(org.Uid, owner, first.Email);
        var token = await app.LatestTokenAsync(first.Email, "ownership_transfer");
        Assert.True((await Accept(token, first)).IsSuccess);

        Assert.Equal(MemberErrors.InvalidTransferLink, (await Accept(token, first)).Error);
        Assert.Equal(first.Email, Assert.Single(await Owners(org.Uid)).Email);
    }
}
