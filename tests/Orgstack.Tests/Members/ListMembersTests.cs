using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using static Orgstack.Tests.Support.MembersScenario;

namespace Orgstack.Tests.Members;

public sealed class ListMembersTests(AppFactory app) : IClassFixture<AppFactory>
{
    private async Task<MemberPage> List(ListMembers.Request request, Actor actor)
    {
        var result = await app.RunAsync<ListMembers, MemberPage>(u => u.HandleAsync(request, actor, CancellationToken.None));
        Assert.True(result.IsSuccess, result.Error?.Message);
        return result.Value;
    }

    /// <summary>An organization with three accepted members of known names and last logins, and two invitations.</summary>
    private async Task<(Organization Org, Actor Owner, TestStack Stack)> PopulatedAsync()
    {
        var (org, owner) = await app.NewOrganizationAsync($"zz-owner-{Guid.NewGuid():n}@example.test");
        var stack = await app.CreateStackAsync(org.Uid, owner.UserUid);
        var names = new[] { ("b-carla", "Carla", "Diaz", 3), ("c-adam", "Adam", "Zeller", 1), ("a-bea", "Bea", "Young", 2) };
        foreach (var (prefix, first, last, day) in names)
        {
            var email = $"{prefix}@{org.Uid}.example.test";
            await app.Member(org.Uid, email).InviteAndAcceptAsync(owner, stack, "Developer");
            await app.DbAsync(db => db.Memberships.Where(m => m.Email == email).ExecuteUpdateAsync(u => u
                .SetProperty(m => m.FirstName, first).SetProperty(m => m.LastName, last)
                .SetProperty(m => m.SortName, $"{first} {last}".ToLower())
                .SetProperty(m => m.LastLoginAt, new DateTimeOffset(2026, 1, day, 0, 0, 0, TimeSpan.Zero))));
        }
        await app.InviteAsync(org.Uid, owner, Invitee($"d-pending@{org.Uid}.example.test", "admin"), Invitee($"e-pending@{org.Uid}.example.test"));
        return (org, owner, stack);
    }

    [Fact]
    public async Task Listing_ByEmail_ShowsMembersAndInvitationsWithRolesAndStatus()
    {
        var (org, owner, stack) = await PopulatedAsync();

        var page = await List(new ListMembers.Request(org.Uid, IncludeCount: true), owner);

        Assert.Equal(6, page.Count);
        Assert.Equal(["a-bea", "b-carla", "c-adam", "d-pending", "e-pending", "zz-owner"], page.Items.Select(r => string.Join("-", r.Membership.Email.Split('@')[0].Split('-').Take(2))).ToList());
        var bea = page.Items[0];
        Assert.Equal(MembershipStatus.Accepted, bea.Membership.Status);
        Assert.Equal(stack.ApiKey, Assert.Single(bea.Stacks).ApiKey);
        Assert.Equal(owner.Email, bea.InvitedByEmail);
        Assert.Equal(MembershipStatus.Pending, page.Items[3].Membership.Status);
        Assert.Equal(OrgRole.Admin, page.Items[3].Membership.Role);
    }

    [Fact]
    public async Task Listing_ByNameAndByLastLogin_OrdersBoth()
    {
        var (org, owner, _) = await PopulatedAsync();

        var byName = await List(new ListMembers.Request(org.Uid, Sort: MemberSort.Name, Limit: 3), owner);
        var byLoginDesc = await List(new ListMembers.Request(org.Uid, Sort: MemberSort.LastLogin, Descending: true, Search: "@" + org.Uid.ToLower()), owner);

        Assert.Equal(["Adam", "Bea", "Carla"], byName.Items.Select(r => r.Membership.FirstName).ToList());
        var logins = byLoginDesc.Items.Where(r => r.Membership.LastLoginAt is not null).Select(r => r.Membership.FirstName).ToList();
        Assert.Equal(["Carla", "Bea", "Adam"], logins);
    }

    [Fact]
    public async Task Listing_WithTypeahead_FindsByEmailOrName()
    {
        var (org, owner, _) = await PopulatedAsync();

        var byName = await List(new ListMembers.Request(org.Uid, Search: "zell"), owner);
        var byEmail = await List(new ListMembers.Request(org.Uid, Search: "B-CAR"), owner);

        Assert.Equal("Adam", Assert.Single(byName.Items).Membership.FirstName);
        Assert.Equal("Carla", Assert.Single(byEmail.Items).Membership.FirstName);
    }

    [Fact]
    public async Task Listing_WithSkipAndLimit_PagesAndEndsWithAnEmptyPage()
    {
        var (org, owner, _) = await PopulatedAsync();

        var seen = new List<string>();
        for (var skip = 0; ; skip += 2)
        {
            var page = await List(new ListMembers.Request(org.Uid, Skip: skip, Limit: 2), owner);
            if (page.Items.Count == 0) break;
            seen.AddRange(page.Items.Select(r => r.Membership.Email));
        }

        Assert.Equal(6, seen.Count);
        Assert.Equal(seen.Order(StringComparer.Ordinal), seen);
    }

    [Fact]
    public async Task Listing_WithTheKeysetCursor_WalksEveryRowOnce()
    {
        var (org, owner, _) = await PopulatedAsync();

        foreach (var sort in new[] { MemberSort.Email, MemberSort.Name })
        foreach (var descending in new[] { false, true })
        {
            var seen = new List<string>();
            string? cursor = null;
            do
            {
                var page = await List(new ListMembers.Request(org.Uid, Limit: 2, Sort: sort, Descending: descending, Cursor: cursor), owner);
                seen.AddRange(page.Items.Select(r => r.Membership.Uid));
                cursor = page.NextCursor;
            } while (cursor is not null);
            Assert.Equal(6, seen.Distinct().Count());
            Assert.Equal(6, seen.Count);
        }
    }

    [Fact]
    public async Task Listing_WithABrokenCursor_IsAValidationError()
    {
        var (org, owner) = await app.NewOrganizationAsync();

        var result = await app.RunAsync<ListMembers, MemberPage>(u => u.HandleAsync(new ListMembers.Request(org.Uid, Cursor: "%%%"), owner, CancellationToken.None));

        Assert.Equal(ErrorKind.Validation, result.Error!.Kind);
    }

    [Fact]
    public async Task Listing_AsMember_IsForbidden_AndAsStranger_NotFound()
    {
        var (org, owner) = await app.NewOrganizationAsync();
        var member = await app.Member(org.Uid, Unique("m")).InviteAndAcceptAsync(owner);
        var (_, stranger) = await app.NewOrganizationAsync();

        var asMember = await app.RunAsync<ListMembers, MemberPage>(u => u.HandleAsync(new ListMembers.Request(org.Uid), member, CancellationToken.None));
        var asStranger = await app.RunAsync<ListMembers, MemberPage>(u => u.HandleAsync(new ListMembers.Request(org.Uid), stranger, CancellationToken.None));

        Assert.Equal(ErrorKind.Forbidden, asMember.Error!.Kind);
        Assert.Equal(CommonErrors.OrganizationNotFound, asStranger.Error);
    }
}
