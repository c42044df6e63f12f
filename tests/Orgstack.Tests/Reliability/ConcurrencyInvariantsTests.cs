using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Mail;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using Xunit.Abstractions;

namespace Orgstack.Tests.Reliability;

/// <summary>
/// Two server nodes on one PostgreSQL database, many parallel clients mixing seat-limited invites, accepts, role
/// changes, removals, stack shares and ownership transfers, then the invariants: one Owner, never more members plus
/// pending invitations than the plan allows, no duplicate membership, every accepted invitation has its member, every
/// change its audit record, every mail delivered exactly once (one drop folder shared by both nodes).
/// </summary>
public sealed class ConcurrencyInvariantsTests : IClassFixture<PgAppFactory>, IDisposable
{
    private const int SeatLimit = 14;
    private const int Workers = 16;
    private const int OperationsPerWorker = 12;

    private readonly PgAppFactory nodeA;
    private readonly AppFactory nodeB = new();
    private readonly ITestOutputHelper output;
    private readonly string drop = Path.Combine(Path.GetTempPath(), "orgstack-tests", "drop-" + Guid.NewGuid().ToString("n"));

    public ConcurrencyInvariantsTests(PgAppFactory nodeA, ITestOutputHelper output)
    {
        this.nodeA = nodeA;
        this.output = output;
        Directory.CreateDirectory(drop);
        nodeA.Settings["Orgstack:Mail:DropDirectory"] = drop;
        nodeB.Settings["Orgstack:Mail:DropDirectory"] = drop;
        nodeB.OnPostgres(nodeA.ConnectionString);
        foreach (var node in new AppFactory[] { nodeA, nodeB })
        {
            node.Settings["Orgstack:RateLimits:Enabled"] = "false";
            node.Settings["Orgstack:Mail:PollMilliseconds"] = "50";
        }
    }

    public void Dispose()
    {
        nodeB.Dispose();
        try { Directory.Delete(drop, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task AStormOfMembershipChangesOnTwoNodes_KeepsEveryInvariant()
    {
        var (org, owner) = await nodeA.NewOrganizationAsync();
        await nodeA.DbAsync(db => db.Organizations.Where(o => o.Uid == org.Uid).ExecuteUpdateAsync(o => o.SetProperty(x => x.MaxUsers, SeatLimit)));
        var stack = await nodeA.ReliabilityStackAsync(org.Uid, owner);
        var admins = new List<string>();
        for (var i = 0; i < 3; i++) admins.Add((await nodeA.Member(org.Uid, MembersScenario.Unique("admin"), OrgRole.Admin).InviteAndAcceptAsync(owner)).Email);
        _ = nodeB.Services; // start node B

        var nodes = new AppFactory[] { nodeA, nodeB };
        var successes = new ConcurrentDictionary<string, int>();
        var attempts = new ConcurrentDictionary<string, int>();
        var serverErrors = new ConcurrentQueue<string>();
        var invitedAddresses = 0;
        var watch = Stopwatch.StartNew();

        async Task<ApiClient> SignIn(string email, int worker) => await nodes[worker % 2].SignedInAsync(email);
        void Count(string op, ApiResponse r)
        {
            attempts.AddOrUpdate(op, 1, (_, n) => n + 1);
            if ((int)r.Status >= 500) serverErrors.Enqueue($"{op}: {(int)r.Status} {r.Body}");
            if (r.Status is HttpStatusCode.OK or HttpStatusCode.Created) successes.AddOrUpdate(op, 1, (_, n) => n + 1);
            if (op == "invite" && r.Status == HttpStatusCode.OK) Interlocked.Add(ref invitedAddresses, r.Json["shares"]!.AsArray().Count);
        }
        async Task<List<Membership>> Members() => await nodeA.DbAsync(db => db.Memberships.AsNoTracking().Where(m => m.OrganizationUid == org.Uid).ToListAsync());
        var operationMix = new StormOperations
        {
            OrgUid = org.Uid, Stack = stack, Admins = admins, InvitePrefix = "storm", FirstName = "Storm", RemoveAbove = 4,
            MembersAsync = Members, InvitationMailsAsync = (node, email) => node.MailsToAsync(email, "invitation"), Count = Count,
        };

        async Task Worker(int w)
        {
            var node = nodes[w % 2];
            var admin = await SignIn(admins[w % admins.Count], w);
            // Only the first client also moves ownership: the current Owner offers it to a member, who accepts on the other node.
            await operationMix.RunAsync(node, admin, new Random(w), OperationsPerWorker, choices: w == 0 ? 7 : 6, sixth: async turn =>
            {
                if (turn.Plain.Count == 0) return;
                var current = turn.Members.Single(m => m.Role == OrgRole.Owner);
                var nominee = turn.Plain[turn.Random.Next(turn.Plain.Count)];
                var ownerClient = await SignIn(current.Email, w);
                var start = await ownerClient.PostAsync($"/v3/organizations/{org.Uid}/transfer-ownership", new { transfer_to = nominee.Email });
                Count("transfer", start);
                if (start.Status != HttpStatusCode.OK) return;
                var mail = (await node.MailsToAsync(nominee.Email)).LastOrDefault(m => m.TextBody.Contains("token="));
                if (mail is null) return;
                var nomineeClient = await SignIn(nominee.Email, w + 1);
                Count("transfer_accept", await nomineeClient.PostAsync("/v3/organizations/ownership/accept", new { token = MembersScenario.TokenIn(mail.TextBody) }));
            });
        }

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(Worker));
        var stormSeconds = watch.Elapsed.TotalSeconds;

        // Mail settles on both nodes.
        Assert.True(await TestWait.UntilAsync(async () => await nodeA.DbAsync(db => db.OutboxMessages.AllAsync(m => m.Status != OutboxStatus.Pending)), 60), "mail not delivered");

        var final = await Members();
        var total = attempts.Values.Sum();
        output.WriteLine($"Storm: {Workers} parallel clients on 2 nodes, {total} operations in {stormSeconds:F1} s; " +
                         string.Join(", ", attempts.OrderBy(p => p.Key).Select(p => $"{p.Key} {successes.GetValueOrDefault(p.Key)}/{p.Value}")) +
                         $"; {final.Count} memberships at the end (limit {SeatLimit}).");
        ReliabilityReport.Count("parallel operations, storm on two nodes (PostgreSQL)", total, $"{Workers} clients");
        Assert.Empty(serverErrors);

        // Exactly one Owner; members + pending within the plan; no duplicates.
        StormOperations.AssertOneOwnerWithinLimitNoDuplicates(final, SeatLimit);
        Assert.All(final.Where(m => m.Status == MembershipStatus.Accepted), m => Assert.NotNull(m.UserUid));

        // Every accepted invitation has its member, unless a removal (audited) took it away afterwards.
        var audit = await nodeA.DbAsync(db => db.AuditEvents.AsNoTracking().Where(e => e.OrganizationUid == org.Uid).ToListAsync());
        operationMix.AssertEveryAcceptedIsMemberOrAuditedAsRemoved(final, audit);

        // Every change has its audit record.
        int Events(string type) => audit.Count(e => e.EventType == type);
        Assert.True(Events("invite") >= invitedAddresses + 3, $"invite audits {Events("invite")} < {invitedAddresses}");
        Assert.True(Events("accept_invitation") >= successes.GetValueOrDefault("accept") + 3);
        Assert.True(Events("change_roles") >= successes.GetValueOrDefault("role"));
        Assert.True(Events("remove") + Events("revoke_invitation") >= successes.GetValueOrDefault("remove"));
        Assert.True(Events("share") >= successes.GetValueOrDefault("stack_share"));
        Assert.True(Events("start_ownership_transfer") >= successes.GetValueOrDefault("transfer"));
        Assert.True(Events("accept_ownership_transfer") >= successes.GetValueOrDefault("transfer_accept"));
        Assert.Equal(successes.GetValueOrDefault("transfer_accept"), Events("accept_ownership_transfer"));

        // Every mail delivered exactly once: one file per Sent message, across both nodes.
        var sent = await nodeA.DbAsync(db => db.OutboxMessages.Where(m => m.Status == OutboxStatus.Sent).Select(m => m.Id).ToListAsync());
        StormOperations.AssertOneDropFilePerSentMail(drop, sent);
    }
}
