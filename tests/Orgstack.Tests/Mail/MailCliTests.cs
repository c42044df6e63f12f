using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Data;
using Orgstack.Core.Mail;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Mail;

/// <summary>The operator's commands, run as the real <c>orgstack</c> CLI against the server's database.</summary>
public sealed class MailCliTests : IClassFixture<AppFactory>
{
    private readonly AppFactory app;

    public MailCliTests(AppFactory app) => this.app = app;

    private Task<(int Code, string Out, string Err)> CliAsync(params string[] args) => OrgstackCli.RunAsync(app.DataDirectory, args);

    [Fact]
    public async Task MailListDead_ShowsTheDeadMessageWithItsError_AndMailRetry_GetsItDelivered()
    {
        var (id, link) = await app.QueueAsync("cli-dead@example.test");
        Assert.True(await TestWait.UntilAsync(async () => (await app.MessageAsync(id)).Status == OutboxStatus.Sent));
        // Make a dead one the way the sender would after its last failed attempt.
        await using (var scope = app.Scope())
        {
            var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
            await db.OutboxMessages.Where(m => m.Id == id).ExecuteUpdateAsync(s => s.SetProperty(m => m.Status, OutboxStatus.Dead)
                .SetProperty(m => m.Attempts, 8).SetProperty(m => m.SentAt, (DateTimeOffset?)null).SetProperty(m => m.LastError, "SmtpException: 550 mailbox unavailable"));
        }
        foreach (var file in Directory.GetFiles(Path.Combine(app.DataDirectory, "mail"), $"*-{id:D10}-*.eml")) File.Delete(file);

        var list = await CliAsync("mail", "list", "--status", "dead");
        Assert.True(list.Code == 0, list.Err);
        var line = Assert.Single(list.Out.Split('\n'), l => l.StartsWith($"{id}\t", StringComparison.Ordinal));
        Assert.Contains("dead\t8\tinvitation\tcli-dead@example.test", line, StringComparison.Ordinal);
        Assert.Contains("550 mailbox unavailable", line, StringComparison.Ordinal);
        Assert.DoesNotContain(list.Out.Split('\n'), l => l.Contains("\tsent\t", StringComparison.Ordinal));

        var retry = await CliAsync("mail", "retry", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(retry.Code == 0, retry.Err);
        Assert.True(await TestWait.UntilAsync(async () => (await app.MessageAsync(id)).Status == OutboxStatus.Sent), "retried message was not sent");
        var eml = Assert.Single(Directory.GetFiles(Path.Combine(app.DataDirectory, "mail"), $"*-{id:D10}-*.eml"));
        Assert.Contains(link, await File.ReadAllTextAsync(eml), StringComparison.Ordinal);
        Assert.True(await app.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.Module == "mail" && e.EventType == "retry" && e.TargetUid == id.ToString())));
    }

    [Fact]
    public async Task MailRetry_OfAnUnknownMessage_ExitsWithNotFound_AndABadStatusIsRefused()
    {
        _ = app.Server;
        var unknown = await CliAsync("mail", "retry", "99999999");
        Assert.Equal(3, unknown.Code);
        Assert.Contains("No outbox message", unknown.Err, StringComparison.Ordinal);

        var bad = await CliAsync("mail", "list", "--status", "bogus");
        Assert.Equal(2, bad.Code);
    }
}
