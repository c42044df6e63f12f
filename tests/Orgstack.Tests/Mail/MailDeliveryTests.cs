using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Mail;
using Orgstack.Server.Mail;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Mail;

public static class OutboxTestData
{
    /// <summary>Queues one message the way a use case does (composed, added, saved); returns its id and unique link.</summary>
    public static async Task<(long Id, string Link)> QueueAsync(this AppFactory app, string to, string kind = "invitation")
    {
        await using var scope = app.Scope();
        var composer = scope.ServiceProvider.GetRequiredService<MailComposer>();
        var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
        var link = composer.Link("/invitations/accept?token=" + Secrets.NewToken());
        var message = composer.Compose(kind, to, "You are invited to Acme", null, ["Olive Owner invited you to Acme on Orgstack."], ("Accept the invitation", link));
        db.OutboxMessages.Add(message);
        await db.SaveChangesAsync();
        return (message.Id, link);
    }

    /// <summary>
    /// Queues 30 messages, then lets the app's own sender and two more senders (other nodes) race for them on one
    /// database; every message must reach the SMTP server exactly once.
    /// </summary>
    public static async Task SendConcurrentlyAsync(AppFactory app, SmtpSink sink)
    {
        var marker = $"once-{Guid.NewGuid():n}";
        var links = new List<string>();
        for (var i = 0; i < 30; i++) links.Add((await app.QueueAsync($"{marker}-{i}@example.test")).Link);

        // Node 1 is the app's own background service; nodes 2 and 3 are further senders on the same database.
        _ = app.Server;
        var others = Enumerable.Range(0, 2).Select(_ => ActivatorUtilities.CreateInstance<OutboxDelivery>(app.Services)).ToList();
        Assert.NotEqual(others[0].NodeId, others[1].NodeId);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var loops = others.Select(node => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (await node.DeliverDueAsync(stop.Token) == 0) await Task.Delay(10);
                var left = await app.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.Status == OutboxStatus.Pending && m.ToAddress.StartsWith(marker)));
                if (left == 0) return;
            }
        })).ToList();
        await Task.WhenAll(loops);

        await Task.Delay(500);
        var received = sink.Messages(marker);
        Assert.Equal(30, received.Count);
        foreach (var link in links) Assert.Single(received, m => m.Contains(link, StringComparison.Ordinal));
        var sentBy = await app.WithDbAsync(db => db.OutboxMessages.Where(m => m.ToAddress.StartsWith(marker)).Select(m => new { m.Status, m.Attempts }).ToListAsync());
        Assert.All(sentBy, m => Assert.Equal((OutboxStatus.Sent, 1), (m.Status, m.Attempts)));
    }

    public static Task<OutboxMessage> MessageAsync(this AppFactory app, long id) =>
        app.WithDbAsync(db => db.OutboxMessages.AsNoTracking().FirstAsync(m => m.Id == id));
}

public sealed class MailDropFolderTests : IClassFixture<AppFactory>
{
    private readonly AppFactory app;

    public MailDropFolderTests(AppFactory app) => this.app = app;

    [Fact]
    public async Task WithoutSmtp_EachMessageBecomesOneReadableEmlFileWithTheLink_AndIsMarkedSent()
    {
        var (id, link) = await app.QueueAsync("drop-reader@example.test");

        Assert.True(await TestWait.UntilAsync(async () => (await app.MessageAsync(id)).Status == OutboxStatus.Sent), "message was not sent");

        var message = await app.MessageAsync(id);
        Assert.NotNull(message.SentAt);
        Assert.Equal(1, message.Attempts);
        Assert.Null(message.LockedUntil);
        var dropFolder = Path.Combine(app.DataDirectory, "mail");
        var files = Directory.GetFiles(dropFolder, "*.eml").Where(f => Path.GetFileName(f).Contains($"-{id:D10}-", StringComparison.Ordinal)).ToList();
        var file = Assert.Single(files);
        Assert.Matches(@"^\d{8}T\d{9}Z-\d{10}-invitation\.eml$", Path.GetFileName(file));
        var eml = await File.ReadAllTextAsync(file);
        Assert.Contains("To: drop-reader@example.test", eml, StringComparison.Ordinal);
        Assert.Contains("Subject: You are invited to Acme", eml, StringComparison.Ordinal);
        Assert.Contains("multipart/alternative", eml, StringComparison.Ordinal);
        Assert.Contains("text/html", eml, StringComparison.Ordinal);
        Assert.Contains(link, eml, StringComparison.Ordinal);
        Assert.StartsWith("http://orgstack.test/invitations/accept?token=", link, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(Path.Combine(dropFolder, ".tmp")));
    }

    [Fact]
    public async Task DropFiles_SortByTimeOfDelivery()
    {
        var first = await app.QueueAsync("sort-1@example.test");
        Assert.True(await TestWait.UntilAsync(async () => (await app.MessageAsync(first.Id)).Status == OutboxStatus.Sent));
        await Task.Delay(5);
        var second = await app.QueueAsync("sort-2@example.test");
        Assert.True(await TestWait.UntilAsync(async () => (await app.MessageAsync(second.Id)).Status == OutboxStatus.Sent));

        var names = Directory.GetFiles(Path.Combine(app.DataDirectory, "mail"), "*.eml").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.True(names.FindIndex(n => n!.Contains($"-{first.Id:D10}-", StringComparison.Ordinal)) < names.FindIndex(n => n!.Contains($"-{second.Id:D10}-", StringComparison.Ordinal)));
    }
}

public sealed class MailSmtpTests : IClassFixture<SmtpSink>, IDisposable
{
    private readonly SmtpSink sink;
    private readonly List<AppFactory> apps = [];

    public MailSmtpTests(SmtpSink sink) => this.sink = sink;

    private AppFactory App(int port, int maxAttempts = 8, int retryBaseMs = 30_000)
    {
        var app = new AppFactory();
        app.Settings["Orgstack:Mail:Smtp:Host"] = sink.Host;
        app.Settings["Orgstack:Mail:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        app.Settings["Orgstack:Mail:Smtp:TimeoutSeconds"] = "5";
        app.Settings["Orgstack:Mail:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        app.Settings["Orgstack:Mail:RetryBaseMilliseconds"] = retryBaseMs.ToString(System.Globalization.CultureInfo.InvariantCulture);
        app.Settings["Orgstack:Mail:From"] = "Orgstack Tests <robot@orgstack.test>";
        apps.Add(app);
        return app;
    }

    public void Dispose()
    {
        foreach (var app in apps) app.Dispose();
    }

    [Fact]
    public async Task WithSmtpConfigured_TheMessageReachesTheSmtpServer_AsMultipartWithTheLink()
    {
        var app = App(sink.Port);
        _ = app.Server;
        var to = $"smtp-{Guid.NewGuid():n}@example.test";
        var (id, link) = await app.QueueAsync(to);

        var received = await sink.WaitForAsync(link);

        var eml = Assert.Single(received);
        Assert.Contains(to, eml, StringComparison.Ordinal);
        Assert.Contains("From: \"Orgstack Tests\" <robot@orgstack.test>", eml, StringComparison.Ordinal);
        Assert.Contains("multipart/alternative", eml, StringComparison.Ordinal);
        Assert.True(await TestWait.UntilAsync(async () => (await app.MessageAsync(id)).Status == OutboxStatus.Sent));
        Assert.Empty(Directory.Exists(Path.Combine(app.DataDirectory, "mail")) ? Directory.GetFiles(Path.Combine(app.DataDirectory, "mail"), "*.eml") : []);
    }

    [Fact]
    public async Task UnreachableSmtpServer_RetriesWithBackoff_ThenTheMessageIsDeadWithItsError()
    {
        var app = App(TestPorts.Free(), maxAttempts: 3, retryBaseMs: 100);
        var (id, _) = await app.QueueAsync("nobody-home@example.test");
        _ = app.Server;

        Assert.True(await TestWait.UntilAsync(async () => (await app.MessageAsync(id)).Status == OutboxStatus.Dead, 60), "message did not die");

        var message = await app.MessageAsync(id);
        Assert.Equal(3, message.Attempts);
        Assert.Null(message.SentAt);
        Assert.False(string.IsNullOrWhiteSpace(message.LastError));
        Assert.Contains("Smtp", message.LastError, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task RetryingADeadMessage_AfterTheServerIsBack_DeliversIt()
    {
        var app = App(TestPorts.Free(), maxAttempts: 1, retryBaseMs: 100);
        var (id, link) = await app.QueueAsync($"retry-{Guid.NewGuid():n}@example.test");
        _ = app.Server;
        Assert.True(await TestWait.UntilAsync(async () => (await app.MessageAsync(id)).Status == OutboxStatus.Dead, 60));

        await using (var scope = app.Scope())
        {
            var dead = await scope.ServiceProvider.GetRequiredService<ListOutboxMessages>().HandleAsync(new ListOutboxMessages.Request(OutboxStatus.Dead), Actor.System("cli"), default);
            Assert.Contains(dead.Value, m => m.Id == id);
        }

        // The operator fixes the SMTP server, then retries the dead message: it goes out once.
        app.Services.GetRequiredService<OrgstackOptions>().Mail.Smtp.Port = sink.Port;
        await using (var scope = app.Scope())
        {
            var retried = await scope.ServiceProvider.GetRequiredService<RetryOutboxMessage>().HandleAsync(id, Actor.System("cli"), default);
            Assert.True(retried.IsSuccess);
        }
        Assert.True(await TestWait.UntilAsync(async () => (await app.MessageAsync(id)).Status == OutboxStatus.Sent, 30));
        Assert.Single(await sink.WaitForAsync(link));
        await using (var scope = app.Scope())
        {
            var again = await scope.ServiceProvider.GetRequiredService<RetryOutboxMessage>().HandleAsync(id, Actor.System("cli"), default);
            Assert.Equal(ErrorKind.Conflict, again.Error!.Kind);
        }
    }

    [Fact]
    public async Task RetryingAnUnknownOrSentMessage_IsRefused()
    {
        var app = App(sink.Port);
        await using var scope = app.Scope();
        var retry = scope.ServiceProvider.GetRequiredService<RetryOutboxMessage>();
        Assert.Equal(ErrorKind.NotFound, (await retry.HandleAsync(987654, Actor.System("cli"), default)).Error!.Kind);
        Assert.Equal(ErrorKind.Forbidden, (await retry.HandleAsync(1, new Actor("bltuser", "u@example.test"), default)).Error!.Kind);
    }

    [Fact]
    public async Task ThreeSendersOnOneDatabase_SendEveryMessageExactlyOnce()
    {
        await OutboxTestData.SendConcurrentlyAsync(App(sink.Port), sink);
    }
}

public sealed class MailOnPostgresTests : IClassFixture<SmtpSink>, IClassFixture<PgAppFactory>
{
    private readonly SmtpSink sink;
    private readonly PgAppFactory app;

    public MailOnPostgresTests(SmtpSink sink, PgAppFactory app)
    {
        (this.sink, this.app) = (sink, app);
        app.Settings["Orgstack:Mail:Smtp:Host"] = sink.Host;
        app.Settings["Orgstack:Mail:Smtp:Port"] = sink.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task ThreeSendersOnOnePostgresDatabase_SendEveryMessageExactlyOnce()
    {
        await OutboxTestData.SendConcurrentlyAsync(app, sink);
    }
}

public sealed class MailBackoffTests
{
    [Fact]
    public void Backoff_DoublesFromTheBase_AndIsCappedAtOneHour()
    {
        var options = new OrgstackOptions();
        options.Mail.RetryBaseMilliseconds = 30_000;
        var delivery = new OutboxDelivery(null!, options, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<OutboxDelivery>.Instance);

        Assert.Equal(TimeSpan.FromSeconds(30), delivery.Backoff(1));
        Assert.Equal(TimeSpan.FromSeconds(60), delivery.Backoff(2));
        Assert.Equal(TimeSpan.FromSeconds(240), delivery.Backoff(4));
        Assert.Equal(TimeSpan.FromHours(1), delivery.Backoff(12));
        Assert.Equal(TimeSpan.FromHours(1), delivery.Backoff(1000));
    }
}
