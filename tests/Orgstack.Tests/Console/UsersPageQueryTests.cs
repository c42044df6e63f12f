using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Common;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Console;

/// <summary>The Users list query on a real SQLite database: every sort, both directions, search, filters, access.</summary>
public sealed class UsersPageQueryTests(UsersPageQueryTests.Data data) : IClassFixture<UsersPageQueryTests.Data>
{
    /// <summary>One organization with 37 people: same names, logins at the same instant, never signed in, pending invitations.</summary>
    public sealed class Data : AppFactory, IAsyncLifetime
    {
        public Organization Org { get; private set; } = null!;
        public Actor Owner { get; private set; } = null!;
        public Actor Member { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Org = await this.CreateOrganizationAsync("Paging Co", "owner-paging@example.test");
            var ownerUid = await WithDbAsync(db => Task.FromResult(db.Users.Single(u => u.Email == "owner-paging@example.test").Uid));
            Owner = new Actor(ownerUid, "owner-paging@example.test");
            var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            for (var i = 0; i < 30; i++)
            {
                DateTimeOffset? login = i % 3 == 0 ? null : start.AddHours(i % 7);
                var role = i % 5 == 0 ? OrgRole.Admin : OrgRole.Member;
                var m = await this.Member(Org.Uid, $"user{i:00}@example.test", role).Named(i % 4 == 0 ? "Sam" : $"Person{i % 9}", "Doe").LastLogin(login).AddAsync();
                if (i == 1) Member = new Actor(m.UserUid!, m.Email);
            }
            for (var i = 0; i < 6; i++) await this.Member(Org.Uid, $"invitee{i}@example.test").Pending().AddAsync();
        }

        Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

        public async Task<UsersPage> PageAsync(UsersPageQuery.Request request, Actor? actor = null)
        {
            await using var scope = Scope();
            var result = await scope.ServiceProvider.GetRequiredService<UsersPageQuery>().HandleAsync(request, actor ?? Owner, CancellationToken.None);
            Assert.True(result.IsSuccess, result.Error?.Message);
            return result.Value;
        }
    }

    public static TheoryData<UsersSort, bool> Sorts()
    {
        var data = new TheoryData<UsersSort, bool>();
        foreach (var sort in Enum.GetValues<UsersSort>())
        {
            data.Add(sort, false);
            data.Add(sort, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Sorts))]
    public async Task PagingForwardThenBack_VisitsEveryRowOnceInOrder(UsersSort sort, bool descending)
    {
        var forward = new List<List<string>>();
        string? after = null;
        UsersPage page;
        do
        {
            page = await data.PageAsync(new(data.Org.Uid, sort, descending, After: after, Limit: 5));
            forward.Add(page.Rows.Select(r => r.MembershipUid).ToList());
            after = page.NextCursor;
        } while (after is not null);

        var all = forward.SelectMany(p => p).ToList();
        Assert.Equal(37, all.Count);
        Assert.Equal(37, all.Distinct().Count());
        Assert.Equal(37, page.Total);
        var everything = await data.PageAsync(new(data.Org.Uid, sort, descending, Limit: 100));
        Assert.Equal(everything.Rows.Select(r => r.MembershipUid), all);
        AssertOrdered(everything.Rows, sort, descending);

        // Back from the last page, page by page, gives the same pages.
        var before = page.PreviousCursor;
        for (var i = forward.Count - 2; i >= 0; i--)
        {
            Assert.NotNull(before);
            var back = await data.PageAsync(new(data.Org.Uid, sort, descending, Before: before, Limit: 5));
            Assert.Equal(forward[i], back.Rows.Select(r => r.MembershipUid));
            before = back.PreviousCursor;
        }
        Assert.Null(before);
    }

    private static void AssertOrdered(IReadOnlyList<UserRow> rows, UsersSort sort, bool descending)
    {
        if (sort == UsersSort.LastLogin)
        {
            var signedIn = rows.TakeWhile(r => r.LastLoginAt is not null).ToList();
            Assert.All(rows.Skip(signedIn.Count), r => Assert.Null(r.LastLoginAt));
            var times = signedIn.Select(r => r.LastLoginAt!.Value).ToList();
            Assert.Equal(descending ? times.OrderDescending() : times.Order(), times);
        }
        if (sort == UsersSort.Role)
        {
            var ranks = rows.Select(r => r.Role == OrgRole.Owner ? 0 : r.Role == OrgRole.Admin ? 1 : 2).ToList();
            Assert.Equal(descending ? ranks.OrderDescending() : ranks.Order(), ranks);
        }
        if (sort == UsersSort.Email)
        {
            var emails = rows.Select(r => r.Email).ToList();
            Assert.Equal(descending ? emails.OrderDescending(StringComparer.Ordinal) : emails.Order(StringComparer.Ordinal), emails);
        }
    }

    [Fact]
    public async Task Search_MatchesNameOrEmail_CaseInsensitively()
    {
        var byName = await data.PageAsync(new(data.Org.Uid, Search: "SAM"));
        var byEmail = await data.PageAsync(new(data.Org.Uid, Search: "Invitee"));

        Assert.Equal(8, byName.Total);
        Assert.All(byName.Rows, r => Assert.Equal("Sam", r.FirstName));
        Assert.Equal(6, byEmail.Total);
        Assert.All(byEmail.Rows, r => Assert.Equal(MembershipStatus.Pending, r.Status));
    }

    [Fact]
    public async Task Filters_ByRoleAndStatus_Combine()
    {
        var admins = await data.PageAsync(new(data.Org.Uid, Role: OrgRole.Admin));
        var pending = await data.PageAsync(new(data.Org.Uid, Status: MembershipStatus.Pending, Sort: UsersSort.LastLogin, Descending: true));

        Assert.Equal(6, admins.Total);
        Assert.All(admins.Rows, r => Assert.Equal(OrgRole.Admin, r.Role));
        Assert.Equal(6, pending.Total);
    }

    [Fact]
    public async Task ATamperedCursor_IsIgnored_AndGivesTheFirstPage()
    {
        var first = await data.PageAsync(new(data.Org.Uid, Limit: 5));
        var tampered = await data.PageAsync(new(data.Org.Uid, After: "not-a-cursor!!", Limit: 5));

        Assert.Equal(first.Rows.Select(r => r.MembershipUid), tampered.Rows.Select(r => r.MembershipUid));
    }

    [Fact]
    public async Task Listing_AsMember_IsForbidden()
    {
        await using var scope = data.Scope();
        var result = await scope.ServiceProvider.GetRequiredService<UsersPageQuery>()
            .HandleAsync(new(data.Org.Uid), data.Member, CancellationToken.None);

        Assert.Equal(ErrorKind.Forbidden, result.Error?.Kind);
    }

    [Fact]
    public async Task Listing_AnotherOrganization_IsNotFound()
    {
        var other = await data.CreateOrganizationAsync("Elsewhere", "owner-elsewhere@example.test");
        await using var scope = data.Scope();
        var result = await scope.ServiceProvider.GetRequiredService<UsersPageQuery>()
            .HandleAsync(new(other.Uid), data.Owner, CancellationToken.None);

        Assert.Equal(ErrorKind.NotFound, result.Error?.Kind);
    }
}
