using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
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
        nodeB.Settings["Orgstack:Database:Provider"] = "postgres";
        nodeB.Settings["Orgstack:Database:ConnectionString"] = nodeA.ConnectionString;
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
        for (var i = 0; i < 3; i++) admins.Add((await nodeA.AddMemberAsync(org.Uid, owner, MembersScenario.Unique("admin"), "admin")).Email);
        _ = nodeB.Services; // start node B

        var nodes = new AppFactory[] { nodeA, nodeB };
        var successes = new ConcurrentDictionary<string, int>();
        var attempts = new ConcurrentDictionary<string, int>();
        var serverErrors = new ConcurrentQueue<string>();
        var accepted = new ConcurrentBag<string>();
        var invitedAddresses = 0;
        var watch = Stopwatch.StartNew();

        async Task<ApiClient> SignIn(string email, int worker) => await nodes[worker % 2].SignedInAsync(email);
        void Count(string op, ApiResponse r)
        {
            attempts.AddOrUpdate(op, 1, (_, n) => n + 1);
            if ((int)r.Status >= 500) serverErrors.Enqueue($"{op}: {(int)r.Status} {r.Body}");
            if (r.Status is HttpStatusCode.OK or HttpStatusCode.Created) successes.AddOrUpdate(op, 1, (_, n) => n + 1);
        }
        async Task<List<Membership>> Members() => await nodeA.DbAsync(db => db.Memberships.AsNoTracking().Where(m => m.OrganizationUid == org.Uid).ToListAsync());

        async Task Worker(int w)
        {
            var random = new Random(w);
            var node = nodes[w % 2];
            var admin = await SignIn(admins[w % admins.Count], w);
            for (var i = 0; i < OperationsPerWorker; i++)
            {
                var members = await Members();
                var accepted_ = members.Where(m => m.Status == MembershipStatus.Accepted && m.Role != OrgRole.Owner && !admins.Contains(m.Email)).ToList();
                var pending = members.Where(m => m.Status == MembershipStatus.Pending).ToList();
                switch (random.Next(w == 0 ? 7 : 6))
                {
                    case 0 or 1:
                    {
                        var emails = Enumerable.Range(0, random.Next(1, 4)).Select(_ => MembersScenario.Unique("storm")).ToList();
                        var r = await admin.PostAsync($"/v3/organizations/{org.Uid}/share",
                            new { share = new { users = emails.ToDictionary(e => e, _ => new[] { OrgRoles.UidFor(org.Uid, OrgRole.Member) }) } });
                        Count("invite", r);
                        if (r.Status == HttpStatusCode.OK) Interlocked.Add(ref invitedAddresses, r.Json["shares"]!.AsArray().Count);
                        break;
                    }
                    case 2 when pending.Count > 0:
                    {
                        var target = pending[random.Next(pending.Count)];
                        var mails = await node.MailsToAsync(target.Email, "invitation");
                        if (mails.Count == 0) break;
                        var r = await new ApiClient(node.CreateClient()).PostAsync("/v3/organizations/invitations/accept", new
                        {
                            token = MembersScenario.TokenIn(mails[^1].TextBody),
                            user = new { first_name = "Storm", last_name = "Member", password = Scenario.Password },
                        });
                        Count("accept", r);
                        if (r.Status == HttpStatusCode.OK) accepted.Add(target.Email);
                        break;
                    }
                    case 3 when accepted_.Count > 0:
                    {
                        var target = accepted_[random.Next(accepted_.Count)];
                        var role = random.Next(2) == 0 ? OrgRole.Admin : OrgRole.Member;
                        Count("role", await admin.PutAsync($"/v3/organizations/{org.Uid}/share/{target.Uid}", new { share = new { org_roles = new[] { OrgRoles.UidFor(org.Uid, role) } } }));
                        break;
                    }
                    case 4 when accepted_.Count + pending.Count > 4:
                    {
                        var pool = accepted_.Concat(pending).ToList();
                        Count("remove", await admin.DeleteAsync($"/v3/organizations/{org.Uid}/share", new { emails = new[] { pool[random.Next(pool.Count)].Email } }));
                        break;
                    }
                    case 5 when accepted_.Count > 0:
                    {
                        var email = accepted_[random.Next(accepted_.Count)].Email;
                        Count("stack_share", await admin.PostAsync("/v3/stacks/share",
                            new { emails = new[] { email }, roles = new Dictionary<string, string[]> { [email] = [stack.Roles["Developer"]] } },
                            new Dictionary<string, string> { ["api_key"] = stack.ApiKey }));
                        break;
                    }
                    case 6 when accepted_.Count > 0:
                    {
                        // Ownership: the current Owner offers it to a member, who accepts on the other node.
                        var current = members.Single(m => m.Role == OrgRole.Owner);
                        var nominee = accepted_[random.Next(accepted_.Count)];
                        var ownerClient = await SignIn(current.Email, w);
                        var start = await ownerClient.PostAsync($"/v3/organizations/{org.Uid}/transfer-ownership", new { transfer_to = nominee.Email });
                        Count("transfer", start);
                        if (start.Status != HttpStatusCode.OK) break;
                        var mail = (await node.MailsToAsync(nominee.Email)).LastOrDefault(m => m.TextBody.Contains("token="));
                        if (mail is null) break;
                        var nomineeClient = await SignIn(nominee.Email, w + 1);
                        Count("transfer_accept", await nomineeClient.PostAsync("/v3/organizations/ownership/accept", new { token = MembersScenario.TokenIn(mail.TextBody) }));
                        break;
                    }
                }
            }
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
        Assert.Single(final, m => m.Role == OrgRole.Owner);
        Assert.True(final.Count <= SeatLimit, $"{final.Count} memberships over the limit of {SeatLimit}");
        Assert.Equal(final.Count, final.Select(m => m.Email).Distinct().Count());
        Assert.Equal(final.Count(m => m.UserUid != null), final.Where(m => m.UserUid != null).Select(m => m.UserUid).Distinct().Count());
        Assert.All(final.Where(m => m.Status == MembershipStatus.Accepted), m => Assert.NotNull(m.UserUid));

        // Every accepted invitation has its member, unless a removal (audited) took it away afterwards.
        var audit = await nodeA.DbAsync(db => db.AuditEvents.AsNoTracking().Where(e => e.OrganizationUid == org.Uid).ToListAsync());
        foreach (var email in accepted)
            Assert.True(final.Any(m => m.Email == email && m.Status == MembershipStatus.Accepted) || audit.Any(e => e.EventType == "remove" && e.TargetLabel == email),
                $"{email} accepted but is neither a member nor audited as removed: " +
                string.Join(", ", audit.Where(e => e.TargetLabel == email).OrderBy(e => e.CreatedAt).Select(e => $"{e.EventType}@{e.CreatedAt:HH:mm:ss.fff} {e.MetadataJson}")));

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
        var files = Directory.GetFiles(drop, "*.eml").Select(f => long.Parse(Regex.Match(Path.GetFileName(f), @"-(\d{10})-").Groups[1].Value)).ToList();
        Assert.Equal(files.Count, files.Distinct().Count());
        Assert.Equal(sent.OrderBy(x => x), files.OrderBy(x => x));
    }
}
