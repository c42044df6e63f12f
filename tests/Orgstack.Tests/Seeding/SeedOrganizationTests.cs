using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Seeding;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Seeding;

/// <summary>The seed command's data, read back through the API: it must look like data the server itself wrote.</summary>
public sealed class SeedOrganizationTests : IClassFixture<AppFactory>
{
    private readonly AppFactory app;

    public SeedOrganizationTests(AppFactory app) => this.app = app;

    private async Task<SeedSummary> SeedAsync(int members)
    {
        await using var scope = app.Scope();
        var result = await scope.ServiceProvider.GetRequiredService<SeedOrganization>().HandleAsync(
            new SeedOrganization.Request(members, "Seed " + Guid.NewGuid().ToString("n")[..6], $"seed-owner-{Guid.NewGuid():n}@example.test"), Actor.System("test"), default);
        Assert.True(result.IsSuccess, result.Error?.Message);
        return result.Value;
    }

    [Fact]
    public async Task Seeding2000Members_UsersListAndCsvExport_AreConsistent()
    {
        var seed = await SeedAsync(2000);
        Assert.Equal(2000, seed.Members + seed.PendingInvitations);
        Assert.Equal(100, seed.PendingInvitations);
        var client = app.Client();
        await client.LoginAsync(seed.OwnerEmail, seed.OwnerPassword);

        var shares = new List<System.Text.Json.Nodes.JsonNode>();
        string? cursor = null;
        long? count = null;
        do
        {
            var page = (await client.GetAsync($"/v3/organizations/{seed.OrganizationUid}/share?limit=500&include_count=true&asc=email" +
                (cursor is null ? "" : "&cursor=" + cursor))).EnsureStatus(HttpStatusCode.OK).Json;
            count ??= page["count"]!.GetValue<long>();
            shares.AddRange(page["shares"]!.AsArray().Select(s => s!));
            cursor = page["next_cursor"]?.GetValue<string>();
        } while (cursor is not null && shares.Count < count);
        Assert.Equal(2001, count);
        Assert.Equal(2001, shares.Count);
        var emails = shares.Select(s => s["email"]!.GetValue<string>()).ToList();
        Assert.Equal(emails.Count, emails.Distinct().Count());
        Assert.All(emails, e => Assert.Equal(e.ToLowerInvariant(), e));
        Assert.Equal(emails.Order(StringComparer.Ordinal), emails);
        Assert.Contains(shares, s => s["stacks"] is System.Text.Json.Nodes.JsonArray { Count: > 0 });

        // Sorted by last login: newest first, never-signed-in (and pending) people last.
        var byLogin = (await client.GetAsync($"/v3/organizations/{seed.OrganizationUid}/share?limit=100&desc=last_login_at")).EnsureStatus(HttpStatusCode.OK).Json["shares"]!.AsArray();
        Assert.Equal(100, byLogin.Count);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v3/organizations/{seed.OrganizationUid}/users/export.csv");
        request.Headers.TryAddWithoutValidation("authtoken", client.AuthToken);
        using var response = await client.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rows = CsvReader.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(2002, rows.Count);
        Assert.Equal(emails, rows.Skip(1).Select(r => r[0]));
        Assert.Equal(seed.PendingInvitations, rows.Count(r => r[4].Equals("pending", StringComparison.OrdinalIgnoreCase)));

        var (users, sortNames, memberships) = await app.WithDbAsync(async db =>
        {
            var ms = await db.Memberships.AsNoTracking().Where(m => m.OrganizationUid == seed.OrganizationUid).ToListAsync();
            return (await db.Users.CountAsync(u => ms.Select(m => m.UserUid).Contains(u.Uid)),
                ms.All(m => m.SortName == Core.Members.Membership.NameSortKey(m.FirstName, m.LastName, m.Email)), ms);
        });
        Assert.Equal(seed.Members + 1, users);
        Assert.True(sortNames);
        var lastLogins = memberships.Where(m => m.LastLoginAt is not null).Select(m => m.LastLoginAt!.Value).ToList();
        Assert.True(lastLogins.Max() - lastLogins.Min() > TimeSpan.FromDays(300));
        Assert.All(lastLogins, l => Assert.True(l <= DateTimeOffset.UtcNow.AddMinutes(1)));
    }

    [Theory]
    [InlineData("desc")]
    [InlineData("asc")]
    public async Task UsersSortedByLastLogin_PagedByCursor_VisitEveryoneOnceInOrder(string direction)
    {
        var seed = await SeedAsync(1200);
        var client = app.Client();
        await client.LoginAsync(seed.OwnerEmail, seed.OwnerPassword);
        var seen = new List<(string Uid, DateTimeOffset? LastLogin)>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = (await client.GetAsync($"/v3/organizations/{seed.OrganizationUid}/share?limit=100&{direction}=last_login_at" +
                (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)))).EnsureStatus(HttpStatusCode.OK).Json;
            seen.AddRange(page["shares"]!.AsArray().Select(s => (s!["uid"]!.GetValue<string>(),
                s["last_login_at"] is { } t ? DateTimeOffset.Parse(t.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) : (DateTimeOffset?)null)));
            cursor = page["next_cursor"]?.GetValue<string>();
            pages++;
        } while (cursor is not null && pages < 50);
        Assert.Equal(1201, seen.Count);
        Assert.Equal(1201, seen.Select(s => s.Uid).Distinct().Count());
        // Never signed in: last when newest come first, first otherwise; the rest in last-login order.
        var expected = direction == "desc"
            ? seen.OrderByDescending(s => s.LastLogin.HasValue).ThenByDescending(s => s.LastLogin).ThenByDescending(s => s.Uid, StringComparer.Ordinal)
            : seen.OrderBy(s => s.LastLogin.HasValue).ThenBy(s => s.LastLogin).ThenBy(s => s.Uid, StringComparer.Ordinal);
        Assert.Equal(expected.Select(s => s.Uid), seen.Select(s => s.Uid));

        // A skip lands on the same rows as the cursor walk.
        var skipped = (await client.GetAsync($"/v3/organizations/{seed.OrganizationUid}/share?limit=100&skip=1150&{direction}=last_login_at")).EnsureStatus(HttpStatusCode.OK).Json["shares"]!.AsArray();
        Assert.Equal(seen.Skip(1150).Select(s => s.Uid), skipped.Select(s => s!["uid"]!.GetValue<string>()));
        (await client.GetAsync($"/v3/organizations/{seed.OrganizationUid}/share?limit=100&desc=last_login_at&cursor=bm90LWEtbnVtYmVyCmJsdDE")).EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Seeding_AsAUser_IsForbidden_AndWritesNothing()
    {
        var before = await app.WithDbAsync(db => db.Organizations.CountAsync());
        await using var scope = app.Scope();
        var result = await scope.ServiceProvider.GetRequiredService<SeedOrganization>().HandleAsync(
            new SeedOrganization.Request(10), new Actor(Ids.New(), "someone@example.test"), default);
        Assert.Equal(ErrorKind.Forbidden, result.Error?.Kind);
        Assert.Equal(before, await app.WithDbAsync(db => db.Organizations.CountAsync()));
    }

    [Fact]
    public async Task Seeding_WithAnExistingOwnerEmailAndBadPassword_LeavesNothingHalfDone()
    {
        var before = await app.WithDbAsync(db => db.Memberships.CountAsync());
        await using var scope = app.Scope();
        var result = await scope.ServiceProvider.GetRequiredService<SeedOrganization>().HandleAsync(
            new SeedOrganization.Request(10, OwnerEmail: "not an email"), Actor.System("test"), default);
        Assert.Equal(ErrorKind.Validation, result.Error?.Kind);
        Assert.Equal(before, await app.WithDbAsync(db => db.Memberships.CountAsync()));
    }
}
