using System.Net;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Mail;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using Xunit.Abstractions;

namespace Orgstack.Tests.Reliability;

/// <summary>
/// The server as its own process (<c>dotnet Orgstack.Server.dll</c>, PostgreSQL, drop-folder mail), SIGKILLed in the
/// middle of parallel bulk invites and of mail delivery, then restarted: every invite request is all or nothing
/// (membership ⇔ link token ⇔ outbox row ⇔ audit record), and every mail ends in the drop folder exactly once.
/// </summary>
public sealed class CrashTests : IClassFixture<PgAppFactory>, IDisposable
{
    private const int Kills = 2;
    private readonly PgAppFactory db;
    private readonly ITestOutputHelper output;
    private readonly string root = Path.Combine(Path.GetTempPath(), "orgstack-tests", "crash-" + Guid.NewGuid().ToString("n"));
    private string Drop => Path.Combine(root, "mail");

    public CrashTests(PgAppFactory db, ITestOutputHelper output)
    {
        this.db = db;
        this.output = output;
        Directory.CreateDirectory(Drop);
        // The in-process node only sets up and reads; it delivers into the same folder, rarely.
        db.Settings["Orgstack:Mail:DropDirectory"] = Drop;
        db.Settings["Orgstack:Mail:PollMilliseconds"] = "600000";
    }

    public void Dispose()
    {
        try { Directory.Delete(root, recursive: true); } catch (IOException) { }
    }

    private Task<ServerProcess> StartAsync(int port) => ServerProcess.StartAsync(port, Path.Combine(root, "data"), db.ConnectionString, new Dictionary<string, string>
    {
        ["Orgstack:Mail:DropDirectory"] = Drop,
        ["Orgstack:RateLimits:Enabled"] = "false",
    });

    [Fact]
    public async Task KilledDuringBulkInvitesAndMailDelivery_NothingIsHalfApplied_AndEveryMailIsDeliveredOnce()
    {
        var (org, owner) = await db.NewOrganizationAsync();
        await db.DbAsync(d => d.Organizations.Where(o => o.Uid == org.Uid).ExecuteUpdateAsync(o => o.SetProperty(x => x.MaxUsers, 100_000)));
        var token = (await db.SignedInAsync(owner.Email)).AuthToken!;
        var port = TestPorts.Free();
        var requests = 0;
        var random = new Random(7);

        for (var kill = 0; kill < Kills; kill++)
        {
            await using (var process = await StartAsync(port))
            {
                using var http = new HttpClient { BaseAddress = process.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
                var client = new ApiClient(http) { AuthToken = token };
                (await client.GetAsync($"/v3/organizations/{org.Uid}/share?limit=1")).EnsureStatus(HttpStatusCode.OK); // warm up
                var storm = Enumerable.Range(0, 8).Select(async i =>
                {
                    for (var j = 0; j < 50; j++)
                    {
                        Interlocked.Increment(ref requests);
                        var users = Enumerable.Range(0, 25).ToDictionary(_ => MembersScenario.Unique($"crash{kill}"), _ => new[] { OrgRoles.UidFor(org.Uid, OrgRole.Member) });
                        try { await client.PostAsync($"/v3/organizations/{org.Uid}/share", new { share = new { users } }); }
                        catch (HttpRequestException) { return; }
                        catch (TaskCanceledException) { return; }
                    }
                }).ToList();
                await TestWait.UntilAsync(async () => await db.DbAsync(d => d.OutboxMessages.CountAsync(m => m.OrganizationUid == org.Uid && m.Status == OutboxStatus.Sent)) > 30 * (kill + 1));
                await Task.Delay(random.Next(50, 300));
                await process.KillAsync(); // SIGKILL
                await Task.WhenAll(storm);
            }
            await AssertNothingHalfAppliedAsync(org.Uid);
            await db.ExpireMailClaimsAsync();
        }

        // The last process delivers everything left; then each Sent message is exactly one file.
        await using (await StartAsync(port))
            Assert.True(await TestWait.UntilAsync(async () => await db.DbAsync(d => d.OutboxMessages.AllAsync(m => m.Status == OutboxStatus.Sent)), 60), "mail left undelivered");
        await AssertNothingHalfAppliedAsync(org.Uid);
        var sent = await db.DbAsync(d => d.OutboxMessages.Select(m => m.Id).ToListAsync());
        var files = StormOperations.AssertOneDropFilePerSentMail(Drop, sent);
        var invited = await db.DbAsync(d => d.Memberships.CountAsync(m => m.OrganizationUid == org.Uid && m.Status == MembershipStatus.Pending));
        output.WriteLine($"Crash test: {Kills} kills (SIGKILL), {requests} bulk invite requests sent, {invited} invitations committed, {files} mails delivered once each.");
        ReliabilityReport.Count("SIGKILLs during bulk invites and drop-folder delivery", Kills);
        Assert.True(invited > 0);
    }

    private async Task AssertNothingHalfAppliedAsync(string orgUid)
    {
        var pending = await db.DbAsync(d => d.Memberships.AsNoTracking().Where(m => m.OrganizationUid == orgUid && m.Status == MembershipStatus.Pending).Select(m => new { m.Uid, m.Email }).ToListAsync());
        var tokens = await db.DbAsync(d => d.ActionTokens.AsNoTracking().Where(t => t.OrganizationUid == orgUid && t.Purpose == TokenPurpose.Invitation).Select(t => t.SubjectUid).ToListAsync());
        var mails = await db.DbAsync(d => d.OutboxMessages.AsNoTracking().Where(m => m.OrganizationUid == orgUid && m.Kind == "invitation").Select(m => m.ToAddress).ToListAsync());
        var audits = await db.DbAsync(d => d.AuditEvents.AsNoTracking().Where(e => e.OrganizationUid == orgUid && e.EventType == "invite").Select(e => e.TargetUid).ToListAsync());
        Assert.Equal(pending.Select(p => p.Uid).Order(), tokens.Order()!);
        Assert.Equal(pending.Select(p => p.Email).Order(), mails.Order());
        Assert.Equal(pending.Select(p => p.Uid).Order(), audits.Order()!);
        // Each request's batch of 25 is whole.
        Assert.Equal(0, pending.Count % 25);
    }
}
