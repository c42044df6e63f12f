using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Orgstack.Core.Data;
using Orgstack.Core.Mail;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using Xunit.Abstractions;

namespace Orgstack.Tests.Reliability;

/// <summary>
/// Two nodes on one PostgreSQL database under a storm of parallel clients, while a separate connection terminates every
/// backend of the nodes (<c>pg_terminate_backend</c>) several times. Every answer is a success, a 4xx, or a 503 with
/// Retry-After in the error shape (never another 5xx); the nodes recover without a restart; and afterwards one Owner,
/// the seat limit, no duplicate membership, every change with its audit record, nothing half-applied (invitation ⇔
/// link ⇔ mail ⇔ audit; each role as its last audited change says), every mail delivered once.
/// </summary>
public sealed class DatabaseConnectionKillTests : IClassFixture<PgAppFactory>, IDisposable
{
    private const int SeatLimit = 40;
    private const int Workers = 12;
    private const int OperationsPerWorker = 25;
    private const int Kills = 6;
    private const string NodeApplication = "orgstack-node";

    private readonly PgAppFactory nodeA;
    private readonly AppFactory nodeB = new();
    private readonly ITestOutputHelper output;
    private readonly string drop = Path.Combine(Path.GetTempPath(), "orgstack-tests", "dbkill-" + Guid.NewGuid().ToString("n"));
    private readonly string readerConnection;

    public DatabaseConnectionKillTests(PgAppFactory nodeA, ITestOutputHelper output)
    {
        this.nodeA = nodeA;
        this.output = output;
        Directory.CreateDirectory(drop);
        // The nodes' connections carry an application name, so the killer terminates theirs and not the test's own reader.
        var nodes = new NpgsqlConnectionStringBuilder(nodeA.ConnectionString) { ApplicationName = NodeApplication }.ToString();
        readerConnection = new NpgsqlConnectionStringBuilder(nodeA.ConnectionString) { ApplicationName = "orgstack-test-reader", MaxPoolSize = 10 }.ToString();
        foreach (var node in new AppFactory[] { nodeA, nodeB })
        {
            node.Settings["Orgstack:Database:Provider"] = "postgres";
            node.Settings["Orgstack:Database:ConnectionString"] = nodes;
            node.Settings["Orgstack:Mail:DropDirectory"] = drop;
            node.Settings["Orgstack:Mail:PollMilliseconds"] = "50";
            node.Settings["Orgstack:RateLimits:Enabled"] = "false";
        }
    }

    public void Dispose()
    {
        nodeB.Dispose();
        try { Directory.Delete(drop, recursive: true); } catch (IOException) { }
    }

    private async Task<T> ReadAsync<T>(Func<OrgstackDbContext, Task<T>> read)
    {
        var options = new DbContextOptionsBuilder<OrgstackDbContext>();
        Database.Configure(options, new Orgstack.Core.Common.OrgstackOptions { Database = { Provider = "postgres", ConnectionString = readerConnection } });
        await using var db = new OrgstackDbContext(options.Options);
        return await read(db);
    }

    private async Task<int> TerminateNodeBackendsAsync()
    {
        await using var connection = new NpgsqlConnection(readerConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = @app AND pid <> pg_backend_pid()",
            connection);
        command.Parameters.AddWithValue("app", NodeApplication);
        return Convert.ToInt32(await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task KillingTheDatabaseConnectionsUnderLoad_Answers503OrSucceeds_RecoversWithoutRestart_AndKeepsEveryInvariant()
    {
        var (org, owner) = await nodeA.NewOrganizationAsync();
        await nodeA.DbAsync(db => db.Organizations.Where(o => o.Uid == org.Uid).ExecuteUpdateAsync(o => o.SetProperty(x => x.MaxUsers, SeatLimit)));
        var stack = await nodeA.ReliabilityStackAsync(org.Uid, owner);
        var admins = new List<string>();
        for (var i = 0; i < 3; i++) admins.Add((await nodeA.AddMemberAsync(org.Uid, owner, MembersScenario.Unique("admin"), "admin")).Email);
        _ = nodeB.Services;
        var nodes = new AppFactory[] { nodeA, nodeB };
        var adminClients = new List<ApiClient>();
        for (var w = 0; w < Workers; w++) adminClients.Add(await nodes[w % 2].SignedInAsync(admins[w % admins.Count]));

        var outcomes = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentQueue<string>();
        var accepted = new ConcurrentBag<string>();
        var operations = 0;
        var unavailable = 0;

        void Count(string op, ApiResponse r)
        {
            Interlocked.Increment(ref operations);
            var status = (int)r.Status;
            outcomes.AddOrUpdate($"{op} {status}", 1, (_, n) => n + 1);
            if (status == 503)
            {
                Interlocked.Increment(ref unavailable);
                if (!r.IsErrorShape()) failures.Enqueue($"{op}: 503 without the error shape: {r.Body}");
                if (r.Headers?.RetryAfter is null) failures.Enqueue($"{op}: 503 without Retry-After");
            }
            else if (status >= 500) failures.Enqueue($"{op}: {status} {r.Body}");
            else if (status >= 400 && !r.IsErrorShape()) failures.Enqueue($"{op}: {status} without the error shape: {r.Body}");
        }

        async Task Worker(int w)
        {
            var random = new Random(100 + w);
            var node = nodes[w % 2];
            var admin = adminClients[w];
            for (var i = 0; i < OperationsPerWorker; i++)
            {
                var members = await ReadAsync(db => db.Memberships.AsNoTracking().Where(m => m.OrganizationUid == org.Uid).ToListAsync());
                var plain = members.Where(m => m.Status == MembershipStatus.Accepted && m.Role != OrgRole.Owner && !admins.Contains(m.Email)).ToList();
                var pending = members.Where(m => m.Status == MembershipStatus.Pending).ToList();
                switch (random.Next(7))
                {
                    case 0 or 1:
                    {
                        var emails = Enumerable.Range(0, random.Next(1, 4)).Select(_ => MembersScenario.Unique("dbkill")).ToList();
                        Count("invite", await admin.PostAsync($"/v3/organizations/{org.Uid}/share",
                            new { share = new { users = emails.ToDictionary(e => e, _ => new[] { OrgRoles.UidFor(org.Uid, OrgRole.Member) }) } }));
                        break;
                    }
                    case 2 when pending.Count > 0:
                    {
                        var target = pending[random.Next(pending.Count)];
                        var mails = await ReadAsync(db => db.OutboxMessages.AsNoTracking().Where(m => m.ToAddress == target.Email && m.Kind == "invitation").OrderBy(m => m.Id).ToListAsync());
                        if (mails.Count == 0) break;
                        var r = await new ApiClient(node.CreateClient()).PostAsync("/v3/organizations/invitations/accept", new
                        {
                            token = MembersScenario.TokenIn(mails[^1].TextBody),
                            user = new { first_name = "Kill", last_name = "Member", password = Scenario.Password },
                        });
                        Count("accept", r);
                        if (r.Status == HttpStatusCode.OK) accepted.Add(target.Email);
                        break;
                    }
                    case 3 when plain.Count > 0:
                    {
                        var target = plain[random.Next(plain.Count)];
                        var role = random.Next(2) == 0 ? OrgRole.Admin : OrgRole.Member;
                        Count("role", await admin.PutAsync($"/v3/organizations/{org.Uid}/share/{target.Uid}", new { share = new { org_roles = new[] { OrgRoles.UidFor(org.Uid, role) } } }));
                        break;
                    }
                    case 4 when plain.Count + pending.Count > 6:
                    {
                        var pool = plain.Concat(pending).ToList();
                        Count("remove", await admin.DeleteAsync($"/v3/organizations/{org.Uid}/share", new { emails = new[] { pool[random.Next(pool.Count)].Email } }));
                        break;
                    }
                    case 5 when plain.Count > 0:
                    {
                        var email = plain[random.Next(plain.Count)].Email;
                        Count("stack_share", await admin.PostAsync("/v3/stacks/share",
                            new { emails = new[] { email }, roles = new Dictionary<string, string[]> { [email] = [stack.Roles["Developer"]] } },
                            new Dictionary<string, string> { ["api_key"] = stack.ApiKey }));
                        break;
                    }
                    default:
                        Count("read", await admin.GetAsync($"/v3/organizations/{org.Uid}/share?limit=50"));
                        break;
                }
            }
        }

        var terminated = new List<int>();
        var storm = Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(() => Worker(w))));
        var killer = Task.Run(async () =>
        {
            var random = new Random(3);
            for (var k = 0; k < Kills && !storm.IsCompleted; k++)
            {
                await Task.Delay(random.Next(300, 900));
                terminated.Add(await TerminateNodeBackendsAsync());
            }
        });
        await Task.WhenAll(storm, killer);

        // Recovery without a restart: the kills are over, and every node answers a read and a write at once.
        foreach (var (node, i) in nodes.Select((n, i) => (n, i)))
        {
            (await adminClients[i].GetAsync("/v3/user")).EnsureStatus(HttpStatusCode.OK);
            (await adminClients[i].PostAsync($"/v3/organizations/{org.Uid}/share/search", new { emails = new[] { owner.Email } })).EnsureStatus(HttpStatusCode.OK);
        }
        // And a last kill while idle: the next request on each node still succeeds (its dead pooled connection is replaced).
        terminated.Add(await TerminateNodeBackendsAsync());
        foreach (var i in new[] { 0, 1 }) (await adminClients[i].GetAsync($"/v3/organizations/{org.Uid}/share?limit=5")).EnsureStatus(HttpStatusCode.OK);

        var summary = string.Join(", ", outcomes.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {p.Value}"));
        output.WriteLine($"{operations} operations by {Workers} clients on 2 nodes; {terminated.Count} kills terminating {terminated.Sum()} backends ({string.Join(", ", terminated)}); {unavailable} answered 503. {summary}");
        ReliabilityReport.Count("database connection kills under load (pg_terminate_backend)", terminated.Count,
            $"{terminated.Sum()} backends terminated, {operations} operations, {unavailable} answered 503 with Retry-After");
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(30)));
        Assert.True(terminated.Sum() > 0, "the killer terminated no backend");

        // A claim whose holder lost its connection at the claim itself is retried after the lease (at least a minute).
        Assert.True(await TestWait.UntilAsync(async () => await ReadAsync(db => db.OutboxMessages.AllAsync(m => m.Status != OutboxStatus.Pending)), 100), "mail not delivered");

        var final = await ReadAsync(db => db.Memberships.AsNoTracking().Where(m => m.OrganizationUid == org.Uid).ToListAsync());
        var audit = await ReadAsync(db => db.AuditEvents.AsNoTracking().Where(e => e.OrganizationUid == org.Uid).ToListAsync());
        var tokens = await ReadAsync(db => db.ActionTokens.AsNoTracking().Where(t => t.OrganizationUid == org.Uid).ToListAsync());
        var mail = await ReadAsync(db => db.OutboxMessages.AsNoTracking().Where(m => m.OrganizationUid == org.Uid).ToListAsync());

        // One Owner; the plan; no duplicates.
        Assert.Single(final, m => m.Role == OrgRole.Owner);
        Assert.True(final.Count <= SeatLimit, $"{final.Count} memberships over the limit of {SeatLimit}");
        Assert.Equal(final.Count, final.Select(m => m.Email).Distinct().Count());
        Assert.Equal(final.Count(m => m.UserUid != null), final.Where(m => m.UserUid != null).Select(m => m.UserUid).Distinct().Count());

        // Nothing half-applied: every membership was invited with its audit record, its link and its mail; every accepted
        // membership has its acceptance audited; removed ones have their removal audited and no membership left.
        foreach (var m in final.Where(m => m.Role != OrgRole.Owner))
        {
            Assert.Contains(audit, e => e.EventType == "invite" && e.TargetUid == m.Uid);
            Assert.Contains(tokens, t => t.SubjectUid == m.Uid);
            Assert.Contains(mail, x => x.Kind == "invitation" && x.ToAddress == m.Email);
            if (m.Status == MembershipStatus.Accepted) Assert.Contains(audit, e => e.EventType == "accept_invitation" && e.TargetUid == m.Uid);
        }
        foreach (var e in audit.Where(e => e.EventType is "remove" or "revoke_invitation"))
            Assert.DoesNotContain(final, m => m.Uid == e.TargetUid);
        foreach (var email in accepted)
            Assert.True(final.Any(m => m.Email == email && m.Status == MembershipStatus.Accepted) || audit.Any(e => e.EventType == "remove" && e.TargetLabel == email),
                $"{email} accepted but neither a member nor audited as removed");
        // Each role is what its last audited change (or its invitation) says.
        foreach (var m in final.Where(m => m.Role != OrgRole.Owner))
        {
            var last = audit.Where(e => e.TargetUid == m.Uid && e.EventType is "invite" or "change_roles").OrderBy(e => e.CreatedAt).Last();
            var said = JsonNode.Parse(last.MetadataJson)![last.EventType == "invite" ? "role" : "to_role"]!.GetValue<string>();
            Assert.True(string.Equals(said, OrgRoles.NameOf(m.Role), StringComparison.OrdinalIgnoreCase), $"{m.Email} is {m.Role} but its last audit says {said}");
        }
        // Every successful change has its audit record.
        int Successes(string op) => outcomes.Where(p => p.Key.StartsWith(op + " 2", StringComparison.Ordinal)).Sum(p => p.Value);
        Assert.True(audit.Count(e => e.EventType == "change_roles") >= Successes("role"));
        Assert.True(audit.Count(e => e.EventType is "remove" or "revoke_invitation") >= Successes("remove"));
        Assert.True(audit.Count(e => e.EventType == "accept_invitation") >= Successes("accept"));

        // Every mail once: one file per Sent message, across both nodes.
        var sent = await ReadAsync(db => db.OutboxMessages.Where(m => m.Status == OutboxStatus.Sent).Select(m => m.Id).ToListAsync());
        var files = Directory.GetFiles(drop, "*.eml").Select(f => long.Parse(Regex.Match(Path.GetFileName(f), @"-(\d{10})-").Groups[1].Value)).ToList();
        Assert.Equal(files.Count, files.Distinct().Count());
        Assert.Equal(sent.OrderBy(x => x), files.OrderBy(x => x));
    }
}
