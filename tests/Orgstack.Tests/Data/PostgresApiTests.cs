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
}
