using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
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

    private static string ServerDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "src", "Orgstack.Server"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dll = Path.Combine(dir!.FullName, "src", "Orgstack.Server", "bin", config, "net10.0", "Orgstack.Server.dll");
        Assert.True(File.Exists(dll), dll);
        return dll;
    }

    private Process Start(int port)
    {
        var info = new ProcessStartInfo("dotnet", [ServerDll()]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Orgstack__DataDirectory"] = Path.Combine(root, "data");
        info.Environment["Orgstack__Database__Provider"] = "postgres";
        info.Environment["Orgstack__Database__ConnectionString"] = db.ConnectionString;
        info.Environment["Orgstack__Mail__DropDirectory"] = Drop;
        info.Environment["Orgstack__Mail__PollMilliseconds"] = "20";
        info.Environment["Orgstack__Mail__BatchSize"] = "5";
        info.Environment["Orgstack__Passwords__Iterations"] = "1000";
        info.Environment["Orgstack__RateLimits__Enabled"] = "false";
        info.Environment["Orgstack__PublicBaseUrl"] = "http://orgstack.test";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitReadyAsync(HttpClient http, Process process)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, "the server process exited");
            try
            {
                using var response = await http.GetAsync("/v3/user");
                if (response.StatusCode == HttpStatusCode.Unauthorized) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException("server did not start");
    }

    [Fact]
    public async Task KilledDuringBulkInvitesAndMailDelivery_NothingIsHalfApplied_AndEveryMailIsDeliveredOnce()
    {
        var (org, owner) = await db.NewOrganizationAsync();
        await db.DbAsync(d => d.Organizations.Where(o => o.Uid == org.Uid).ExecuteUpdateAsync(o => o.SetProperty(x => x.MaxUsers, 100_000)));
        var token = (await db.SignedInAsync(owner.Email)).AuthToken!;
        var port = PgClusterPort();
        var requests = 0;
        var random = new Random(7);

        for (var kill = 0; kill < Kills; kill++)
        {
            var process = Start(port);
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
                await WaitReadyAsync(http, process);
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
                process.Kill(entireProcessTree: true); // SIGKILL
                await process.WaitForExitAsync();
                await Task.WhenAll(storm);
            }
            finally
            {
                if (!process.HasExited) { process.Kill(entireProcessTree: true); await process.WaitForExitAsync(); }
            }
            await AssertNothingHalfAppliedAsync(org.Uid);
            // A killed node's claims expire after the lease (at least a minute); let that minute pass.
            await db.DbAsync(d => d.OutboxMessages.Where(m => m.Status == OutboxStatus.Pending && m.LockedUntil != null)
                .ExecuteUpdateAsync(u => u.SetProperty(m => m.LockedUntil, DateTimeOffset.UtcNow.AddSeconds(-1))));
        }

        // The last process delivers everything left; then each Sent message is exactly one file.
        var last = Start(port);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitReadyAsync(http, last);
            Assert.True(await TestWait.UntilAsync(async () => await db.DbAsync(d => d.OutboxMessages.AllAsync(m => m.Status == OutboxStatus.Sent)), 60), "mail left undelivered");
        }
        finally
        {
            last.Kill(entireProcessTree: true);
            await last.WaitForExitAsync();
        }
        await AssertNothingHalfAppliedAsync(org.Uid);
        var sent = await db.DbAsync(d => d.OutboxMessages.Select(m => m.Id).ToListAsync());
        var files = Directory.GetFiles(Drop, "*.eml").Select(f => long.Parse(Regex.Match(Path.GetFileName(f), @"-(\d{10})-").Groups[1].Value)).ToList();
        Assert.Equal(files.Count, files.Distinct().Count());
        Assert.Equal(sent.OrderBy(x => x), files.OrderBy(x => x));
        var invited = await db.DbAsync(d => d.Memberships.CountAsync(m => m.OrganizationUid == org.Uid && m.Status == MembershipStatus.Pending));
        output.WriteLine($"Crash test: {Kills} kills (SIGKILL), {requests} bulk invite requests sent, {invited} invitations committed, {files.Count} mails delivered once each.");
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

    private static int PgClusterPort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
