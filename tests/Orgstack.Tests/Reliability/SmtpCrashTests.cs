using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Mail;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using Xunit.Abstractions;

namespace Orgstack.Tests.Reliability;

/// <summary>
/// The server as its own process delivering through a real SMTP server (aiosmtpd), SIGKILLed several times while it
/// sends, then restarted: what the SMTP server received is compared with the outbox. No message is lost (each Sent row
/// arrived at least once); a duplicate is possible only in the window between the SMTP server's acceptance and the
/// Sent update, and then the outbox row says so (last_error "Uncertain: …"), so an operator sees it in
/// <c>orgstack mail list --status sent</c>. The counts are reported.
/// </summary>
public sealed class SmtpCrashTests : IClassFixture<PgAppFactory>, IClassFixture<SmtpSink>, IDisposable
{
    private const int Kills = 5;
    private const int Messages = 400;
    private readonly PgAppFactory db;
    private readonly SmtpSink sink;
    private readonly ITestOutputHelper output;
    private readonly string root = Path.Combine(Path.GetTempPath(), "orgstack-tests", "smtpcrash-" + Guid.NewGuid().ToString("n"));
    private readonly string marker = "smtpcrash" + Guid.NewGuid().ToString("n")[..8];

    public SmtpCrashTests(PgAppFactory db, SmtpSink sink, ITestOutputHelper output)
    {
        this.db = db;
        this.sink = sink;
        this.output = output;
        // The in-process node only sets up and reads: its sender polls once at start (nothing is due yet), then sleeps.
        db.Settings["Orgstack:Mail:PollMilliseconds"] = "600000";
        db.Settings["Orgstack:Mail:DropDirectory"] = Path.Combine(root, "unused");
    }

    public void Dispose()
    {
        try { Directory.Delete(root, recursive: true); } catch (IOException) { }
    }

    private Task<ServerProcess> StartAsync(int port) => ServerProcess.StartAsync(port, Path.Combine(root, "data"), db.ConnectionString, new Dictionary<string, string>
    {
        ["Orgstack:Mail:Smtp:Host"] = sink.Host,
        ["Orgstack:Mail:Smtp:Port"] = sink.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Orgstack:Mail:Smtp:TimeoutSeconds"] = "10",
    });

    private Task<int> SentAsync(string orgUid) => db.DbAsync(d => d.OutboxMessages.CountAsync(m => m.OrganizationUid == orgUid && m.Status == OutboxStatus.Sent));

    [Fact]
    public async Task KilledDuringSmtpDelivery_LosesNothing_AndEveryDuplicateIsMarkedUncertain()
    {
        var (org, owner) = await db.NewOrganizationAsync();
        await db.DbAsync(d => d.Organizations.Where(o => o.Uid == org.Uid).ExecuteUpdateAsync(o => o.SetProperty(x => x.MaxUsers, 100_000)));
        for (var batch = 0; batch < Messages / 50; batch++)
        {
            var invitees = Enumerable.Range(0, 50).Select(i => MembersScenario.Invitee($"{marker}-{batch * 50 + i:D4}@example.test")).ToArray();
            var outcome = await db.InviteAsync(org.Uid, owner, invitees);
            Assert.All(outcome, o => Assert.NotNull(o.Invitation));
        }
        var port = TestPorts.Free();
        var random = new Random(11);
        var killsDuringDelivery = 0;

        for (var kill = 0; kill < Kills; kill++)
        {
            var before = await SentAsync(org.Uid);
            await using (var process = await StartAsync(port))
            {
                // Let it deliver a little, then kill it at a random moment mid-stream.
                await TestWait.UntilAsync(async () => await SentAsync(org.Uid) > before + 10, 30);
                await Task.Delay(random.Next(0, 200));
                await process.KillAsync(); // SIGKILL
            }
            if (await SentAsync(org.Uid) < Messages) killsDuringDelivery++;
            await db.ExpireMailClaimsAsync();
        }

        await using (await StartAsync(port))
            Assert.True(await TestWait.UntilAsync(async () => await db.DbAsync(d => d.OutboxMessages.AllAsync(m => m.OrganizationUid != org.Uid || m.Status == OutboxStatus.Sent)), 120), "mail left undelivered");

        // What the SMTP server holds, by Message-ID (<outbox-{id}.{ms}@orgstack>), against the outbox.
        var received = sink.Messages(marker)
            .Select(text => Regex.Match(text, @"Message-ID:\s*<outbox-(\d+)\.", RegexOptions.IgnoreCase))
            .Where(m => m.Success).Select(m => long.Parse(m.Groups[1].Value)).ToList();
        var outbox = await db.DbAsync(d => d.OutboxMessages.AsNoTracking().Where(m => m.OrganizationUid == org.Uid).ToListAsync());
        var copies = received.GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        var lost = outbox.Where(m => !copies.ContainsKey(m.Id)).Select(m => m.Id).ToList();
        var duplicated = copies.Where(p => p.Value > 1).Select(p => p.Key).ToList();
        var flagged = outbox.Where(m => m.LastError?.StartsWith("Uncertain:", StringComparison.Ordinal) == true).Select(m => m.Id).ToList();
        var strangers = copies.Keys.Where(id => outbox.All(m => m.Id != id)).ToList();

        // The window, measured: from the SMTP server storing a message (its file's time) to the outbox row's sent_at.
        var stored = Directory.GetFiles(Path.Combine(sink.MailDirectory, "new"))
            .Select(f => (File: f, Text: File.ReadAllText(f)))
            .Where(x => x.Text.Contains(marker, StringComparison.Ordinal))
            .Select(x => (Id: long.Parse(Regex.Match(x.Text, @"Message-ID:\s*<outbox-(\d+)\.", RegexOptions.IgnoreCase).Groups[1].Value), At: File.GetLastWriteTimeUtc(x.File)))
            .GroupBy(x => x.Id).ToDictionary(g => g.Key, g => g.Max(x => x.At));
        var gaps = outbox.Where(m => m.SentAt is not null && stored.ContainsKey(m.Id) && !duplicated.Contains(m.Id))
            .Select(m => (m.SentAt!.Value.UtcDateTime - stored[m.Id]).TotalMilliseconds).Order().ToList();
        var between = outbox.Where(m => m.SentAt is not null).OrderBy(m => m.SentAt).Select(m => m.SentAt!.Value).ToList();
        var perMessage = between.Zip(between.Skip(1), (a, b) => (b - a).TotalMilliseconds).Where(ms => ms < 1000).Order().ToList();
        if (gaps.Count > 0 && perMessage.Count > 0)
            output.WriteLine($"Window from the SMTP server's acceptance to sent_at: median {gaps[gaps.Count / 2]:F1} ms, p95 {gaps[(int)(gaps.Count * 0.95)]:F1} ms; " +
                             $"time per message: median {perMessage[perMessage.Count / 2]:F1} ms.");
        output.WriteLine($"SMTP crash test: {Kills} SIGKILLs ({killsDuringDelivery} with mail still pending), {outbox.Count} messages in the outbox, " +
                         $"{received.Count} received by the SMTP server: {lost.Count} lost, {duplicated.Count} duplicated ({string.Join(", ", duplicated)}), " +
                         $"{flagged.Count} marked uncertain ({string.Join(", ", flagged)}).");
        ReliabilityReport.Count("SIGKILLs during SMTP delivery", Kills,
            $"{outbox.Count} messages, {received.Count} received, {lost.Count} lost, {duplicated.Count} duplicated, {flagged.Count} marked uncertain");

        Assert.Equal(Messages + 0, outbox.Count);
        Assert.Empty(strangers);
        Assert.Empty(lost);
        Assert.All(outbox, m => Assert.Equal(OutboxStatus.Sent, m.Status));
        // Every duplicate is one the outbox admits to; and a kill leaves at most one message in the window.
        Assert.All(duplicated, id => Assert.Contains(id, flagged));
        Assert.True(duplicated.Count <= Kills, $"{duplicated.Count} duplicates from {Kills} kills");
        Assert.All(copies.Values, n => Assert.True(n <= 2, "a message arrived more than twice"));
    }
}
