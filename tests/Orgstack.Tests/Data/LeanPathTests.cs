using System.Net;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Accounts;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Data;

/// <summary>
/// The hot paths read with plain statements (<see cref="LeanSql"/>) instead of EF queries: they must read every mapped
/// property as EF does, and page the users list exactly as the EF path did, on SQLite and on PostgreSQL.
/// </summary>
public abstract class LeanPathTests<TFactory>(TFactory app) where TFactory : AppFactory
{
    [Fact]
    public async Task LeanReaders_ReadEveryMappedProperty_AsEfDoes()
    {
        var org = await app.CreateOrganizationAsync("Lean Readers", $"lean-{Guid.NewGuid():n}@example.test");
        var ownerUid = await app.OwnerUidAsync(org.Uid);
        var at = DateTimeOffset.UtcNow.AddDays(-3);
        var bob = await app.Member(org.Uid, $"bob-{Guid.NewGuid():n}@example.test", OrgRole.Admin).Named("Bob", "Ünïcode \"Q\"").InvitedBy(ownerUid).LastLogin(at).AddAsync();
        await using (var scope = app.Scope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
            // Non-default values everywhere a default could hide a column that was not read.
            await db.Users.Where(u => u.Uid == bob.UserUid).ExecuteUpdateAsync(u => u
                .SetProperty(x => x.FailedAttempts, 2).SetProperty(x => x.LockedAt, at).SetProperty(x => x.TotpEnabled, true)
                .SetProperty(x => x.TotpLastStep, 123456789L).SetProperty(x => x.Company, "Acme").SetProperty(x => x.MustEnrollMfa, true));
            await db.Memberships.Where(m => m.Uid == bob.MembershipUid).ExecuteUpdateAsync(u => u
                .SetProperty(x => x.AccessWithoutSso, true).SetProperty(x => x.Message, "hello").SetProperty(x => x.InvitationExpiresAt, at));
            var tokens = scope.ServiceProvider.GetRequiredService<SessionTokens>();
            var user = await db.Users.AsNoTracking().FirstAsync(u => u.Uid == bob.UserUid);
            tokens.Issue(user, "password", "127.0.0.1", "tests");
            await db.SaveChangesAsync();
        }

        await using (var scope = app.Scope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
            await AssertSameAsync(db, await db.Users.AsNoTracking().FirstAsync(u => u.Uid == bob.UserUid), "users", "uid", bob.UserUid);
            await AssertSameAsync(db, await db.Memberships.AsNoTracking().FirstAsync(m => m.Uid == bob.MembershipUid), "memberships", "uid", bob.MembershipUid);
            await AssertSameAsync(db, await db.Organizations.AsNoTracking().FirstAsync(o => o.Uid == org.Uid), "organizations", "uid", org.Uid);
            await AssertSameAsync(db, await db.Sessions.AsNoTracking().FirstAsync(s => s.UserUid == bob.UserUid), "sessions", "user_uid", bob.UserUid);
        }
    }

    private static async Task AssertSameAsync<T>(OrgstackDbContext db, T expected, string table, string keyColumn, string key) where T : class
    {
        var reader = LeanSql.Reader<T>(db);
        var sql = $"SELECT {reader.Columns("t")} FROM {table} t WHERE t.{keyColumn} = @key";
        // Both ways a lean statement runs: on the context's connection, and as a read on a kept-open connection (on SQLite,
        // LeanSqliteReader over the prepared statement).
        T onContext, asRead;
        await using (var command = await LeanSql.CommandAsync(db, sql, CancellationToken.None))
        {
            command.Parameter("@key", key);
            await using var rows = await command.ExecuteReaderAsync();
            Assert.True(await rows.ReadAsync());
            onContext = reader.Read(rows, 0);
        }
        for (var round = 0; round < 2; round++) // the second round runs on the statement prepared by the first
        {
            await using var read = await LeanSql.ReadAsync(db, sql, CancellationToken.None);
            read.Command.Parameter("@key", key);
            await using var rows = await read.ExecuteReaderAsync(CancellationToken.None);
            if (db.IsSqlite) Assert.IsType<LeanSqliteReader>(rows);
            Assert.True(await rows.ReadAsync());
            asRead = reader.Read(rows, 0);
            Assert.False(await rows.ReadAsync());
            AssertSameProperties(db, expected, asRead);
        }
        AssertSameProperties(db, expected, onContext);
    }

    private static void AssertSameProperties<T>(OrgstackDbContext db, T expected, T actual) where T : class
    {
        var mapped = db.Model.FindEntityType(typeof(T))!.GetProperties().Where(p => p.PropertyInfo is not null).Select(p => p.PropertyInfo!).ToList();
        Assert.Equal(typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Count(p => p.SetMethod is not null), mapped.Count);
        foreach (var property in mapped)
            Assert.True(Equals(property.GetValue(expected), property.GetValue(actual)),
                $"{typeof(T).Name}.{property.Name}: EF read {property.GetValue(expected)}, the lean reader {property.GetValue(actual)}");
    }

    private async Task<(string OrgUid, Person Bob, string Token)> MemberWithSessionAsync(string name)
    {
        var org = await app.CreateOrganizationAsync(name, $"{name.ToLowerInvariant().Replace(' ', '-')}-{Guid.NewGuid():n}@example.test");
        var bob = await app.Member(org.Uid, $"bob-{Guid.NewGuid():n}@example.test").Named("Bob", "B").AddAsync();
        await using var scope = app.Scope();
        var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Uid == bob.UserUid);
        var (_, token) = scope.ServiceProvider.GetRequiredService<SessionTokens>().Issue(user, "password", "127.0.0.1", "tests");
        await db.SaveChangesAsync();
        return (org.Uid, bob, token);
    }

    private async Task SetRoleAsync(string membershipUid, OrgRole role)
    {
        await using var scope = app.Scope();
        await scope.ServiceProvider.GetRequiredService<OrgstackDbContext>().Memberships.Where(m => m.Uid == membershipUid)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.Role, role));
    }

    [Fact]
    public async Task SessionReadWithItsOrganization_GivesTheAccessRowToTheFirstCheckOnly_ThenChecksReadAgain()
    {
        var (org, bob, token) = await MemberWithSessionAsync("Grant Prefetch");
        await using var scope = app.Scope();
        var signedIn = await scope.ServiceProvider.GetRequiredService<SessionTokens>().ValidateAsync(token, org, CancellationToken.None);
        Assert.NotNull(signedIn);
        Assert.Equal(bob.UserUid, signedIn.UserUid);
        Assert.Equal("Bob B", signedIn.DisplayName);
        // Changed behind the request's back after its one statement: the first check is that statement's row (nothing
        // else was read), the next check of the same request reads the database again.
        await SetRoleAsync(bob.MembershipUid, OrgRole.Admin);
        var access = scope.ServiceProvider.GetRequiredService<OrgAccess>();
        var actor = new Core.Common.Actor(signedIn.UserUid, signedIn.Email);
        Assert.Equal(OrgRole.Member, (await access.GrantAsync(org, actor, CancellationToken.None)).Value.Membership.Role);
        Assert.Equal(OrgRole.Admin, (await access.GrantAsync(org, actor, CancellationToken.None)).Value.Membership.Role);
    }

    [Fact]
    public async Task SessionAndAccessChecks_OfARequestThatOnlyReads_RentNoDbContext_UntilSomethingUsesIt()
    {
        var (org, bob, token) = await MemberWithSessionAsync("No Context");
        await using (var warm = app.Scope()) _ = warm.ServiceProvider.GetRequiredService<OrgstackDbContext>().Model;
        await using var scope = app.Scope();
        var scoped = scope.ServiceProvider.GetRequiredService<ScopedDb>();
        var signedIn = await scope.ServiceProvider.GetRequiredService<SessionTokens>().ValidateAsync(token, org, CancellationToken.None);
        var grant = await scope.ServiceProvider.GetRequiredService<OrgAccess>().GrantAsync(org, new Core.Common.Actor(bob.UserUid, bob.Email), CancellationToken.None);
        var rented = scoped.HasContext;
        Assert.NotNull(signedIn);
        Assert.True(grant.IsSuccess);
        // On PostgreSQL every read runs on the scope's own context; on SQLite the reads ran on kept-open connections.
        Assert.Equal(!scope.ServiceProvider.GetRequiredService<OrgstackDbContext>().IsSqlite, rented);
        // Whoever resolves the context directly gets the scope's one, and the scope knows it (its transaction counts).
        await using var transaction = await scope.ServiceProvider.GetRequiredService<OrgstackDbContext>().Database.BeginTransactionAsync();
        Assert.True(scoped.HasContext);
        Assert.True(scoped.InTransaction);
    }

    [Fact]
    public async Task SessionReadWithItsOrganization_IsNotUsedAfterTheRequestHasWritten()
    {
        var (org, bob, token) = await MemberWithSessionAsync("Grant After Write");
        TransientFailures.Track(); // as the API does for each request
        await using var scope = app.Scope();
        Assert.NotNull(await scope.ServiceProvider.GetRequiredService<SessionTokens>().ValidateAsync(token, org, CancellationToken.None));
        // The request writes something before it checks access (here: the role itself): the check must read again.
        await scope.ServiceProvider.GetRequiredService<OrgstackDbContext>().Memberships.Where(m => m.Uid == bob.MembershipUid)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.Role, OrgRole.Admin));
        var grant = await scope.ServiceProvider.GetRequiredService<OrgAccess>().GrantAsync(org, new Core.Common.Actor(bob.UserUid, bob.Email), CancellationToken.None);
        Assert.Equal(OrgRole.Admin, grant.Value.Membership.Role);
    }

    [Fact]
    public async Task SessionReadWithItsOrganization_IsNotUsedInsideATransaction_OrForAnotherOrganization()
    {
        var (org, bob, token) = await MemberWithSessionAsync("Grant In Transaction");
        var actor = new Core.Common.Actor(bob.UserUid, bob.Email);
        await using (var scope = app.Scope())
        {
            Assert.NotNull(await scope.ServiceProvider.GetRequiredService<SessionTokens>().ValidateAsync(token, org, CancellationToken.None));
            await SetRoleAsync(bob.MembershipUid, OrgRole.Admin);
            var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync();
            Assert.Equal(OrgRole.Admin, (await scope.ServiceProvider.GetRequiredService<OrgAccess>().GrantAsync(org, actor, CancellationToken.None)).Value.Membership.Role);
        }
        var (other, _, _) = await MemberWithSessionAsync("Grant Other");
        await using (var scope = app.Scope())
        {
            // The row of the path's organization is not an answer for a different one: bob is not a member there.
            Assert.NotNull(await scope.ServiceProvider.GetRequiredService<SessionTokens>().ValidateAsync(token, org, CancellationToken.None));
            var grant = await scope.ServiceProvider.GetRequiredService<OrgAccess>().GrantAsync(other, actor, CancellationToken.None);
            Assert.Same(Core.Common.CommonErrors.OrganizationNotFound, grant.Error);
        }
    }

    [Fact]
    public async Task OrganizationPaths_RefuseARevokedSession_ALockedAccount_AndAForcedReset_LikeEveryOtherPath()
    {
        foreach (var breakIt in new Func<OrgstackDbContext, Person, Task>[]
                 {
                     (db, p) => db.Sessions.Where(s => s.UserUid == p.UserUid).ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, DateTimeOffset.UtcNow)),
                     (db, p) => db.Users.Where(u => u.Uid == p.UserUid).ExecuteUpdateAsync(u => u.SetProperty(x => x.LockedAt, DateTimeOffset.UtcNow)),
                     (db, p) => db.Users.Where(u => u.Uid == p.UserUid).ExecuteUpdateAsync(u => u.SetProperty(x => x.MustChangePassword, true)),
                     (db, p) => db.Users.Where(u => u.Uid == p.UserUid).ExecuteUpdateAsync(u => u.SetProperty(x => x.Active, false)),
                     (db, p) => db.Sessions.Where(s => s.UserUid == p.UserUid).ExecuteUpdateAsync(u => u.SetProperty(s => s.LastSeenAt, DateTimeOffset.UtcNow.AddDays(-3))),
                 })
        {
            var (org, bob, token) = await MemberWithSessionAsync("Refused Paths");
            var client = app.Client();
            client.AuthToken = token;
            (await client.GetAsync($"/v3/organizations/{org}")).EnsureStatus(HttpStatusCode.OK);
            await using (var scope = app.Scope()) await breakIt(scope.ServiceProvider.GetRequiredService<OrgstackDbContext>(), bob);
            foreach (var path in new[] { $"/v3/organizations/{org}", $"/v3/organizations/{org}/roles", $"/v3/organizations/{org}/share", "/v3/user" })
                (await client.GetAsync(path)).EnsureError(HttpStatusCode.Unauthorized);
        }
    }

    [Fact]
    public async Task UsersPage_ByLastLogin_PagesWithTheCursor_InBothDirections_WithStackRoles()
    {
        var ownerEmail = $"pages-{Guid.NewGuid():n}@example.test";
        var org = await app.CreateOrganizationAsync("Lean Pages", ownerEmail);
        var ownerUid = await app.OwnerUidAsync(org.Uid);
        var now = DateTimeOffset.UtcNow;
        var people = new List<Person>();
        for (var i = 0; i < 5; i++)
            people.Add(await app.Member(org.Uid, $"p{i}-{Guid.NewGuid():n}@example.test").Named($"P{i}", "").InvitedBy(ownerUid).LastLogin(i < 3 ? now.AddHours(-i).AddTicks(-i * 37) : null).AddAsync());
        var (stack, role) = await app.AddStackAsync(org.Uid, "Lean Stack", ownerUid);
        await app.AssignStackRoleAsync(stack, people[1].MembershipUid, role);
        var client = app.Client();
        await client.LoginAsync(ownerEmail, Scenario.Password);

        foreach (var descending in new[] { true, false })
        {
            var order = descending ? "desc=last_login_at" : "asc=last_login_at";
            var seen = new List<string>();
            string? cursor = null;
            do
            {
                var page = (await client.GetAsync($"/v3/organizations/{org.Uid}/share?limit=2&{order}" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))))
                    .EnsureStatus(HttpStatusCode.OK).Json;
                foreach (var share in page["shares"]!.AsArray())
                {
                    seen.Add(share!["email"]!.GetValue<string>());
                    if (share["uid"]!.GetValue<string>() == people[1].MembershipUid)
                        Assert.Equal("Lean Stack", share["stacks"]![0]!["name"]!.GetValue<string>());
                }
                cursor = page["next_cursor"]?.GetValue<string>();
            } while (cursor is not null && seen.Count < 20);

            // Whatever the page size, the same order as one page with skip: the EF path (skip) and the lean path (cursor) agree.
            var whole = (await client.GetAsync($"/v3/organizations/{org.Uid}/share?limit=100&skip=0&{order}&typeahead=example.test")).EnsureStatus(HttpStatusCode.OK).Json;
            Assert.Equal(whole["shares"]!.AsArray().Select(s => s!["email"]!.GetValue<string>()), seen);
            Assert.Equal(6, seen.Count);
            var signedIn = new[] { people[0], people[1], people[2] }.Select(p => p.Email).ToList();
            if (descending) Assert.Equal(signedIn, seen.Where(signedIn.Contains));
            else Assert.Equal(Enumerable.Reverse(signedIn), seen.Where(signedIn.Contains));
        }
    }
}

public sealed class LeanPathSqliteTests(AppFactory app) : LeanPathTests<AppFactory>(app), IClassFixture<AppFactory>;

public sealed class LeanPathPostgresTests(PgAppFactory app) : LeanPathTests<PgAppFactory>(app), IClassFixture<PgAppFactory>;
