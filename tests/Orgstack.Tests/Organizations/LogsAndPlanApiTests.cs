using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Audit;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Organizations;

public sealed class LogsApiTests : IClassFixture<AppFactory>
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly AppFactory app;

    public LogsApiTests(AppFactory app) => this.app = app;

    /// <summary>An organization with 30 events an hour apart: odd ones by the Admin in module "stack", even ones "invite" by the Owner.</summary>
    private async Task<(Organization Org, Person Admin, string OwnerUid)> SeedAsync(string prefix)
    {
        var org = await app.CreateOrganizationAsync($"{prefix} Co", $"owner@{prefix}.test");
        var ownerUid = await app.OwnerUidAsync(org.Uid);
        var admin = await app.Member(org.Uid, $"admin@{prefix}.test", OrgRole.Admin).AddAsync();
        await using var scope = app.Scope();
        var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
        for (var i = 0; i < 30; i++)
        {
            var actor = i % 2 == 1 ? new Actor(admin.UserUid, admin.Email, "10.0.0.2", "req-" + i) : new Actor(ownerUid, $"owner@{prefix}.test", "10.0.0.1", "req-" + i);
            db.AuditEvents.Add(Audit.Event(actor, Start.AddHours(i), org.Uid, i % 2 == 1 ? "stack" : "user", i % 2 == 1 ? "create" : "invite",
                "membership", Ids.New(), $"item {i}", new { n = i }));
        }
        await db.SaveChangesAsync();
        return (org, admin, ownerUid);
    }

    private async Task<ApiClient> SignedInAsync(string email)
    {
        var client = app.Client();
        await client.LoginAsync(email, Scenario.Password);
        return client;
    }

    [Fact]
    public async Task Logs_AsOwner_AreNewestFirst_25PerPageByDefault_WithSkipLimitAndCount()
    {
        var (org, _, _) = await SeedAsync("logs-page");
        var client = await SignedInAsync("owner@logs-page.test");

        var first = (await client.GetAsync($"/v3/organizations/{org.Uid}/logs?include_count=true")).EnsureStatus(HttpStatusCode.OK).Json;
        var logs = first["logs"]!.AsArray();
        Assert.Equal(25, logs.Count);
        Assert.Equal(31, first["count"]!.GetValue<int>()); // 30 seeded + the organization's creation
        var times = logs.Select(l => l!["created_at"]!.GetValue<string>()).ToList();
        Assert.Equal(times.OrderDescending(StringComparer.Ordinal), times);
        var item = logs[0]!;
        foreach (var key in new[] { "uid", "org_uid", "created_at", "created_by", "module", "event_type", "metadata", "remote_addr", "request", "response" })
            Assert.True(item.AsObject().ContainsKey(key), key);
        Assert.Equal(org.Uid, item["org_uid"]!.GetValue<string>());

        var second = (await client.GetAsync($"/v3/organizations/{org.Uid}/logs?skip=25&limit=10")).EnsureStatus(HttpStatusCode.OK).Json["logs"]!.AsArray();
        Assert.Equal(6, second.Count);
        Assert.Null((await client.GetAsync($"/v3/organizations/{org.Uid}/logs")).Json["count"]);
        Assert.Equal(31, (await client.GetAsync($"/v3/organizations/{org.Uid}/logs?limit=5000")).EnsureStatus(HttpStatusCode.OK).Json["logs"]!.AsArray().Count);
    }

    [Fact]
    public async Task Logs_FilterByUserActionModuleAndDateRange()
    {
        var (org, admin, _) = await SeedAsync("logs-filter");
        var client = await SignedInAsync("admin@logs-filter.test");
        var path = $"/v3/organizations/{org.Uid}/logs?limit=100";

        var byUser = (await client.GetAsync($"{path}&user={admin.UserUid}")).EnsureStatus(HttpStatusCode.OK).Json["logs"]!.AsArray();
        Assert.Equal(15, byUser.Count);
        Assert.All(byUser, l => Assert.Equal(admin.UserUid, l!["created_by"]!.GetValue<string>()));
        Assert.Equal(15, (await client.GetAsync($"{path}&user=ADMIN@logs-filter.test")).Json["logs"]!.AsArray().Count);

        var invites = (await client.GetAsync($"{path}&event_type=invite")).Json["logs"]!.AsArray();
        Assert.Equal(15, invites.Count);
        Assert.Equal(15, (await client.GetAsync($"{path}&action=invite")).Json["logs"]!.AsArray().Count);
        Assert.Equal(15, (await client.GetAsync($"{path}&module=stack")).Json["logs"]!.AsArray().Count);
        Assert.Empty((await client.GetAsync($"{path}&module=stack&event_type=invite")).Json["logs"]!.AsArray());

        Assert.Equal(15, (await client.GetAsync($"{path}&query={Uri.EscapeDataString("{\"module\":\"stack\"}")}")).EnsureStatus(HttpStatusCode.OK).Json["logs"]!.AsArray().Count);
        Assert.Equal(15, (await client.GetAsync($"{path}&query={Uri.EscapeDataString($"{{\"created_by\":\"{admin.UserUid}\",\"event_type\":\"create\"}}")}")).Json["logs"]!.AsArray().Count);

        var range = (await client.GetAsync($"{path}&from=2026-01-01T02:00:00Z&to=2026-01-01T05:00:00Z")).Json["logs"]!.AsArray();
        Assert.Equal(["2026-01-01T04:00:00.000Z", "2026-01-01T03:00:00.000Z", "2026-01-01T02:00:00.000Z"], range.Select(l => l!["created_at"]!.GetValue<string>()));
        Assert.Equal(3, (await client.GetAsync($"{path}&from=2026-01-01T04:00:00%2B02:00&to=2026-01-01T05:00:00Z")).Json["logs"]!.AsArray().Count);
    }

    [Fact]
    public async Task Logs_WithBadParameters_Answer422InTheErrorShape()
    {
        var (org, _, _) = await SeedAsync("logs-bad");
        var client = await SignedInAsync("owner@logs-bad.test");
        var path = $"/v3/organizations/{org.Uid}/logs";

        (await client.GetAsync($"{path}?from=yesterday")).EnsureError(HttpStatusCode.UnprocessableEntity);
        (await client.GetAsync($"{path}?to=2026-13-45")).EnsureError(HttpStatusCode.UnprocessableEntity);
        (await client.GetAsync($"{path}?from=2026-02-01&to=2026-01-01")).EnsureError(HttpStatusCode.UnprocessableEntity);
        (await client.GetAsync($"{path}?skip=-1")).EnsureError(HttpStatusCode.UnprocessableEntity);
        (await client.GetAsync($"{path}?query=%7Bnot-json")).EnsureError(HttpStatusCode.UnprocessableEntity);
        (await client.GetAsync($"{path}?query=%5B1%5D")).EnsureError(HttpStatusCode.UnprocessableEntity);
        (await client.GetAsync($"{path}?query=%7B%22module%22%3A%7B%22%24ne%22%3A1%7D%7D")).EnsureError(HttpStatusCode.UnprocessableEntity);
        (await client.GetAsync($"{path}?limit=abc")).EnsureError(HttpStatusCode.UnprocessableEntity);
        (await client.GetAsync($"{path}?user={new string('x', 300)}")).EnsureError(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task OneLog_ByUid_AnswersLogWrapper_AndAnotherOrganizationsLogIsNotFound()
    {
        var (org, _, _) = await SeedAsync("logs-one");
        var (other, _, _) = await SeedAsync("logs-one-other");
        var client = await SignedInAsync("owner@logs-one.test");
        var uid = (await client.GetAsync($"/v3/organizations/{org.Uid}/logs?module=stack&limit=1")).Json["logs"]![0]!["uid"]!.GetValue<string>();
        var otherUid = await app.WithDbAsync(db => db.AuditEvents.Where(e => e.OrganizationUid == other.Uid).Select(e => e.Uid).FirstAsync());

        var log = (await client.GetAsync($"/v3/organizations/{org.Uid}/logs/{uid}")).EnsureStatus(HttpStatusCode.OK).Json["log"]!;
        Assert.Equal(uid, log["uid"]!.GetValue<string>());
        Assert.Equal(29, log["metadata"]!["n"]!.GetValue<int>());
        Assert.Equal("10.0.0.2", log["remote_addr"]!.GetValue<string>());

        (await client.GetAsync($"/v3/organizations/{org.Uid}/logs/{otherUid}")).EnsureError(HttpStatusCode.NotFound);
        (await client.GetAsync($"/v3/organizations/{other.Uid}/logs/{otherUid}")).EnsureError(HttpStatusCode.NotFound);
        (await client.GetAsync($"/v3/organizations/{org.Uid}/logs/not-a-uid")).EnsureError(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Logs_AsMember_AreForbidden_AndOfAnotherOrganizationNotFound()
    {
        var (org, _, _) = await SeedAsync("logs-member");
        var (other, _, _) = await SeedAsync("logs-member-other");
        await app.Member(org.Uid, "member@logs-member.test").AddAsync();
        var member = await SignedInAsync("member@logs-member.test");
        var uid = await app.WithDbAsync(db => db.AuditEvents.Where(e => e.OrganizationUid == org.Uid).Select(e => e.Uid).FirstAsync());

        (await member.GetAsync($"/v3/organizations/{org.Uid}/logs")).EnsureError(HttpStatusCode.Forbidden);
        (await member.GetAsync($"/v3/organizations/{org.Uid}/logs/{uid}")).EnsureError(HttpStatusCode.Forbidden);
        var owner = await SignedInAsync("owner@logs-member.test");
        (await owner.GetAsync($"/v3/organizations/{other.Uid}/logs")).EnsureError(HttpStatusCode.NotFound);
        (await app.Client().GetAsync($"/v3/organizations/{org.Uid}/logs")).EnsureError(HttpStatusCode.Unauthorized);
    }
}

public sealed class PlanApiTests : IClassFixture<AppFactory>
{
    private readonly AppFactory app;

    public PlanApiTests(AppFactory app) => this.app = app;

    private async Task<Organization> SeedAsync(string prefix)
    {
        var org = await app.CreateOrganizationAsync($"{prefix} Co", $"owner@{prefix}.test");
        var owner = await app.OwnerUidAsync(org.Uid);
        await using (var scope = app.Scope())
        {
            var result = await scope.ServiceProvider.GetRequiredService<SetPlan>().HandleAsync(
                new SetPlan.Request(org.Uid, "team", "Team", 10, 3, new DateTimeOffset(2030, 1, 31, 0, 0, 0, TimeSpan.Zero)), Actor.System(), default);
            Assert.True(result.IsSuccess);
            var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
            await db.Organizations.Where(o => o.Uid == org.Uid).ExecuteUpdateAsync(s => s
                .SetProperty(o => o.BillingEmail, "billing@" + prefix + ".test").SetProperty(o => o.BillingPaymentMethod, "card ending 4242"));
        }
        await app.Member(org.Uid, $"admin@{prefix}.test", OrgRole.Admin).AddAsync();
        await app.Member(org.Uid, $"member@{prefix}.test").AddAsync();
        await app.Member(org.Uid, $"invitee1@{prefix}.test").InvitedBy(owner).Pending().AddAsync();
        await app.Member(org.Uid, $"invitee2@{prefix}.test", OrgRole.Admin).InvitedBy(owner).Pending().AddAsync();
        await app.AddStackAsync(org.Uid, "One", owner);
        await app.AddStackAsync(org.Uid, "Two", owner);
        return org;
    }

    private async Task<ApiClient> SignedInAsync(string email)
    {
        var client = app.Client();
        await client.LoginAsync(email, Scenario.Password);
        return client;
    }

    [Fact]
    public async Task Plan_AsOwner_ShowsLimitsUsageAndBilling()
    {
        var org = await SeedAsync("plan-owner");
        var client = await SignedInAsync("owner@plan-owner.test");

        var plan = (await client.GetAsync($"/v3/organizations/{org.Uid}/plan")).EnsureStatus(HttpStatusCode.OK).Json["plan"]!;

        Assert.Equal(("team", "Team", "2030-01-31T00:00:00.000Z", false), (plan["plan_id"]!.GetValue<string>(), plan["name"]!.GetValue<string>(),
            plan["expires_on"]!.GetValue<string>(), plan["expired"]!.GetValue<bool>()));
        Assert.Equal((10, 3), (plan["limits"]!["max_users"]!.GetValue<int>(), plan["limits"]!["max_stacks"]!.GetValue<int>()));
        var users = plan["usage"]!["users"]!;
        Assert.Equal((3, 2, 5, 10, 5), (users["members"]!.GetValue<int>(), users["pending_invitations"]!.GetValue<int>(), users["used"]!.GetValue<int>(),
            users["limit"]!.GetValue<int>(), users["remaining"]!.GetValue<int>()));
        var stacks = plan["usage"]!["stacks"]!;
        Assert.Equal((2, 3, 1), (stacks["used"]!.GetValue<int>(), stacks["limit"]!.GetValue<int>(), stacks["remaining"]!.GetValue<int>()));
        Assert.Equal("billing@plan-owner.test", plan["billing"]!["email"]!.GetValue<string>());
        Assert.Equal("card ending 4242", plan["billing"]!["payment_method"]!.GetValue<string>());
    }

    [Fact]
    public async Task Plan_AsAdmin_ShowsPlanAndUsage_ButNoBilling()
    {
        var org = await SeedAsync("plan-admin");
        var client = await SignedInAsync("admin@plan-admin.test");

        var response = (await client.GetAsync($"/v3/organizations/{org.Uid}/plan")).EnsureStatus(HttpStatusCode.OK);

        Assert.Equal(5, response.Json["plan"]!["usage"]!["users"]!["used"]!.GetValue<int>());
        Assert.False(response.Json["plan"]!.AsObject().ContainsKey("billing"));
        Assert.DoesNotContain("billing@plan-admin.test", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("4242", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_AsMember_IsForbidden_AndOfAnotherOrganizationNotFound()
    {
        var org = await SeedAsync("plan-member");
        var other = await SeedAsync("plan-member-other");
        var member = await SignedInAsync("member@plan-member.test");
        (await member.GetAsync($"/v3/organizations/{org.Uid}/plan")).EnsureError(HttpStatusCode.Forbidden);
        (await member.GetAsync($"/v3/organizations/{other.Uid}/plan")).EnsureError(HttpStatusCode.NotFound);
        var owner = await SignedInAsync("owner@plan-member.test");
        (await owner.GetAsync($"/v3/organizations/{other.Uid}/plan")).EnsureError(HttpStatusCode.NotFound);
        (await app.Client().GetAsync($"/v3/organizations/{org.Uid}/plan")).EnsureError(HttpStatusCode.Unauthorized);
    }
}
