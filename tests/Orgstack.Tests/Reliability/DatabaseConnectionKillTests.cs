using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
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
            node.OnPostgres(nodes);
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
        for (var i = 0; i < 3; i++) admins.Add((await nodeA.Member(org.Uid, MembersScenario.Unique("admin"), OrgRole.Admin).InviteAndAcceptAsync(owner)).Email);
        _ = nodeB.Services;
        var nodes = new AppFactory[] { nodeA, nodeB };
        var adminClients = new List<ApiClient>();
        for (var w = 0; w < Workers; w++) adminClients.Add(await nodes[w % 2].SignedInAsync(admins[w % admins.Count]));

        var outcomes = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentQueue<string>();
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

        var operationMix = new StormOperations
        {
            OrgUid = org.Uid, Stack = stack, Admins = admins, InvitePrefix = "dbkill", FirstName = "Kill", RemoveAbove = 6, Count = Count,
            MembersAsync = () => ReadAsync(db => db.Memberships.AsNoTracking().Where(m => m.OrganizationUid == org.Uid).ToListAsync()),
            InvitationMailsAsync = (_, email) => ReadAsync(db => db.OutboxMessages.AsNoTracking().Where(m => m.ToAddress == email && m.Kind == "invitation").OrderBy(m => m.Id).ToListAsync()),
        };

        // A draw with nothing to act on, and the seventh, is a read of the users list.
        Task Worker(int w) => operationMix.RunAsync(nodes[w % 2], adminClients[w], new Random(100 + w), OperationsPerWorker, choices: 7,
            otherwise: async () => Count("read", await adminClients[w].GetAsync($"/v3/organizations/{org.Uid}/share?limit=50")));

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
        StormOperations.AssertOneOwnerWithinLimitNoDuplicates(final, SeatLimit);

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
        operationMix.AssertEveryAcceptedIsMemberOrAuditedAsRemoved(final, audit);
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
        StormOperations.AssertOneDropFilePerSentMail(drop, sent);
    }
}
