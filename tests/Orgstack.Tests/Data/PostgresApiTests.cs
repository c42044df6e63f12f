using System.Net;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Data;

/// <summary>The API on PostgreSQL: the same server, configured with Orgstack:Database:Provider=postgres.</summary>
public sealed class PostgresApiTests : IClassFixture<PgAppFactory>
{
    private readonly PgAppFactory app;

    public PostgresApiTests(PgAppFactory app) => this.app = app;

    [Fact]
    public async Task LoginUserAndOrganizations_Work_OnPostgres()
    {
        var org = await app.CreateOrganizationAsync("Postgres Org", "pg-owner@example.test");
        var client = app.Client();

        var user = await client.LoginAsync("PG-Owner@example.test", Scenario.Password);
        Assert.Equal("pg-owner@example.test", user["email"]!.GetValue<string>());

        var me = (await client.GetAsync("/v3/user?include_orgs_roles=true")).EnsureStatus(HttpStatusCode.OK).Json["user"]!;
        Assert.Contains(me["organizations"]!.AsArray(), o => o!["uid"]!.GetValue<string>() == org.Uid);
        Assert.EndsWith("Z", me["created_at"]!.GetValue<string>(), StringComparison.Ordinal);

        var list = (await client.GetAsync("/v3/organizations?include_count=true")).EnsureStatus(HttpStatusCode.OK).Json;
        Assert.Equal(1, list["count"]!.GetValue<int>());
        var one = (await client.GetAsync($"/v3/organizations/{org.Uid}?include_plan=true")).EnsureStatus(HttpStatusCode.OK).Json["organization"]!;
        Assert.Equal("Postgres Org", one["name"]!.GetValue<string>());
        Assert.NotNull(one["plan"]);

        (await client.DeleteAsync("/v3/user-session")).EnsureStatus(HttpStatusCode.OK);
        (await client.GetAsync("/v3/user")).EnsureError(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AnotherOrganization_AnswersNotFound_OnPostgres()
    {
        await app.CreateOrganizationAsync("Mine", "pg-mine@example.test");
        var other = await app.CreateOrganizationAsync("Theirs", "pg-theirs@example.test");
        var client = app.Client();
        await client.LoginAsync("pg-mine@example.test", Scenario.Password);

        (await client.GetAsync($"/v3/organizations/{other.Uid}")).EnsureError(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ExportLogsAndPlan_Work_OnPostgres()
    {
        var org = await app.CreateOrganizationAsync("PG Export", "pg-export-owner@example.test");
        var owner = await app.OwnerUidAsync(org.Uid);
        var bob = await app.Member(org.Uid, "bob@pg-export.test", Core.Organizations.OrgRole.Admin).Named("=Bob", "\"Quote\"").InvitedBy(owner).AddAsync();
        await app.Member(org.Uid, "alice@pg-export.test").InvitedBy(owner).Pending().AddAsync();
        var (stack, role) = await app.AddStackAsync(org.Uid, "+Stack", owner);
        await app.AssignStackRoleAsync(stack, bob.MembershipUid, role);
        var client = app.Client();
        await client.LoginAsync("pg-export-owner@example.test", Scenario.Password);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v3/organizations/{org.Uid}/users/export.csv");
        request.Headers.TryAddWithoutValidation("authtoken", client.AuthToken);
        using var response = await client.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rows = CsvReader.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(["alice@pg-export.test", "bob@pg-export.test", "pg-export-owner@example.test"], rows.Skip(1).Select(r => r[0]));
        var bobRow = rows.Single(r => r[0] == "bob@pg-export.test");
        Assert.Equal(("'=Bob", "\"Quote\"", "'+Stack: Developer", "pg-export-owner@example.test"), (bobRow[1], bobRow[2], bobRow[5], bobRow[6]));

        var logs = (await client.GetAsync($"/v3/organizations/{org.Uid}/logs?include_count=true&event_type=export_users&from=2020-01-01T00:00:00%2B05:00")).EnsureStatus(HttpStatusCode.OK).Json;
        Assert.Equal(1, logs["count"]!.GetValue<int>());
        Assert.Equal(3, logs["logs"]![0]!["metadata"]!["rows"]!.GetValue<int>());

        var plan = (await client.GetAsync($"/v3/organizations/{org.Uid}/plan")).EnsureStatus(HttpStatusCode.OK).Json["plan"]!;
        Assert.Equal((2, 1, 1), (plan["usage"]!["users"]!["members"]!.GetValue<int>(), plan["usage"]!["users"]!["pending_invitations"]!.GetValue<int>(),
            plan["usage"]!["stacks"]!["used"]!.GetValue<int>()));
    }
}
