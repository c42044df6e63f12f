using System.Globalization;
using System.Net;
using System.Net.Mail;
using System.Net.Mime;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Mail;

namespace Orgstack.Server.Mail;

/// <summary>
/// Delivers the outbox. A node claims a due message with one conditional update (WHERE id = @id AND status = Pending AND
/// next_attempt_at &lt;= now AND (locked_until IS NULL OR locked_until &lt; now)); only the node whose update touched the row sends it, so each message
/// goes out once across nodes. A node that dies while holding a claim leaves it to expire, and another node retries.
/// Failures back off exponentially; after Mail:MaxAttempts the message is Dead with its last error.
/// </summary>
public sealed class OutboxDelivery(IServiceScopeFactory scopes, OrgstackOptions options, TimeProvider clock, ILogger<OutboxDelivery> logger)
{
    /// <summary>Unique per sender instance (and so per node).</summary>
    public string NodeId { get; } = NewNodeId();

    private static string NewNodeId()
    {
        var host = Environment.MachineName.Length > 40 ? Environment.MachineName[..40] : Environment.MachineName;
        return $"{host}:{Environment.ProcessId}:{Guid.NewGuid().ToString("n")[..12]}";
    }

    private TimeSpan Lease => TimeSpan.FromSeconds(Math.Max(60, options.Mail.Smtp.TimeoutSeconds * 2 + 30));

    public string DropDirectory => Path.GetFullPath(options.Mail.DropDirectory is { Length: > 0 } dir ? dir : Path.Combine(options.DataDirectory, "mail"));

    /// <summary>Claims and delivers the messages due now; returns how many this node handled.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
        var now = clock.GetUtcNow();
        var candidates = await db.OutboxMessages.AsNoTracking()
            .Where(m => m.Status == OutboxStatus.Pending && m.NextAttemptAt <= now && (m.LockedUntil == null || m.LockedUntil < now))
            .OrderBy(m => m.NextAttemptAt).ThenBy(m => m.Id)
            .Select(m => new { m.Id, m.LockedUntil, m.LockedBy }).Take(Math.Max(1, options.Mail.BatchSize)).ToListAsync(ct);

        var handled = 0;
        foreach (var candidate in candidates)
        {
            var id = candidate.Id;
            // Every recorded outcome clears locked_until; a claim still set (and expired) means the node that held it
            // died or lost the database between claiming and recording, perhaps after the SMTP server had accepted the
            // message. Orgstack sends it again (at least once: a lost invitation or reset link is worse than a second
            // copy; the Message-ID is the same, so many mail stores fold the two) and says so in last_error.
            // (The drop folder needs no such note: a file already there for the message is found and not written again.)
            var uncertain = candidate.LockedUntil is not null && !string.IsNullOrWhiteSpace(options.Mail.Smtp.Host)
                ? $"Uncertain: an earlier attempt by {candidate.LockedBy} was interrupted before its outcome was recorded; sent again with the same Message-ID (the recipient may have two copies)."
                : null;
            ct.ThrowIfCancellationRequested();
            var claimedAt = clock.GetUtcNow();
            var lockedUntil = claimedAt + Lease;
            var claimed = await db.OutboxMessages
                .Where(m => m.Id == id && m.Status == OutboxStatus.Pending && m.NextAttemptAt <= claimedAt && (m.LockedUntil == null || m.LockedUntil < claimedAt))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.LockedUntil, lockedUntil).SetProperty(m => m.LockedBy, NodeId), ct);
            if (claimed != 1) continue;

            // Claimed: from here on a lost connection is retried rather than left to the lease (a minute of delay).
            var message = await RecordAsync(() => db.OutboxMessages.AsNoTracking().FirstAsync(m => m.Id == id, ct));
            handled++;
            string? error = null;
            try
            {
                await SendAsync(message, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                error = Describe(e);
            }

            var done = clock.GetUtcNow();
            var attempts = message.Attempts + 1;
            if (error is null)
            {
                await RecordAsync(() => db.OutboxMessages.Where(m => m.Id == id && m.LockedBy == NodeId)
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.Status, OutboxStatus.Sent).SetProperty(m => m.SentAt, done)
                        .SetProperty(m => m.Attempts, attempts).SetProperty(m => m.LockedUntil, (DateTimeOffset?)null).SetProperty(m => m.LastError, uncertain), CancellationToken.None));
                if (uncertain is null) logger.LogInformation("Mail {Id} ({Kind}) delivered to {To}.", id, message.Kind, message.ToAddress);
                else logger.LogWarning("Mail {Id} ({Kind}) delivered to {To}, possibly for the second time: {Note}", id, message.Kind, message.ToAddress, uncertain);
            }
            else if (attempts >= options.Mail.MaxAttempts)
            {
                await RecordAsync(() => db.OutboxMessages.Where(m => m.Id == id && m.LockedBy == NodeId)
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.Status, OutboxStatus.Dead).SetProperty(m => m.Attempts, attempts)
                        .SetProperty(m => m.LockedUntil, (DateTimeOffset?)null).SetProperty(m => m.LastError, error), CancellationToken.None));
                logger.LogError("Mail {Id} ({Kind}) to {To} is dead after {Attempts} attempts: {Error}", id, message.Kind, message.ToAddress, attempts, error);
            }
            else
            {
                var next = done + Backoff(attempts);
                await RecordAsync(() => db.OutboxMessages.Where(m => m.Id == id && m.LockedBy == NodeId)
                    .ExecuteUpdateAsync(s => s.SetProperty(m => m.Attempts, attempts).SetProperty(m => m.NextAttemptAt, next)
                        .SetProperty(m => m.LockedUntil, (DateTimeOffset?)null).SetProperty(m => m.LastError, error), CancellationToken.None));
                logger.LogWarning("Mail {Id} ({Kind}) to {To} failed (attempt {Attempts}), retrying at {Next:u}: {Error}", id, message.Kind, message.ToAddress, attempts, next, error);
            }
        }
        return handled;
    }

    /// <summary>
    /// Reads a claimed message or records the outcome of its delivery. After sending, losing the database connection must
    /// not leave the claim to expire (another node would send the message again): the statement is repeated on a fresh
    /// connection, for up to about 6 seconds. Each is idempotent (a read, or fixed values where this node holds the claim).
    /// </summary>
    private async Task<T> RecordAsync<T>(Func<Task<T>> update)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await update();
            }
            catch (Exception e) when (attempt < 7 && Orgstack.Core.Data.TransientFailures.IsConnectionLoss(e))
            {
                Orgstack.Core.Data.TransientFailures.ForgetIdleConnections();
                logger.LogWarning("Mail delivery lost its database connection while holding a claim ({Error}); trying again.", e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(100 * (1 << (attempt - 1))), CancellationToken.None);
            }
        }
    }

    /// <summary>base × 2^(attempts-1), capped at one hour.</summary>
    public TimeSpan Backoff(int attempts)
    {
        var ms = Math.Max(1, options.Mail.RetryBaseMilliseconds) * Math.Pow(2, Math.Min(attempts - 1, 30));
        return TimeSpan.FromMilliseconds(Math.Min(ms, TimeSpan.FromHours(1).TotalMilliseconds));
    }

    private static string Describe(Exception e)
    {
        var text = new StringBuilder(e.GetType().Name).Append(": ").Append(e.Message);
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException) text.Append(" ← ").Append(inner.Message);
        var s = text.ToString();
        return s.Length > 4000 ? s[..4000] : s;
    }

    private async Task SendAsync(OutboxMessage message, CancellationToken ct)
    {
        using var mail = Build(message);
        var smtp = options.Mail.Smtp;
        if (!string.IsNullOrWhiteSpace(smtp.Host))
        {
            using var client = new SmtpClient(smtp.Host, smtp.Port)
            {
                EnableSsl = smtp.UseTls,
                Timeout = Math.Max(1, smtp.TimeoutSeconds) * 1000,
                DeliveryMethod = SmtpDeliveryMethod.Network,
            };
            if (!string.IsNullOrEmpty(smtp.Username)) client.Credentials = new NetworkCredential(smtp.Username, smtp.Password);
            await client.SendMailAsync(mail, ct);
            return;
        }
        await WriteDropFileAsync(mail, message, ct);
    }

    /// <summary>
    /// Writes the message as one RFC 822 file: rendered into a private temporary folder, then renamed into the drop folder
    /// (atomic on one file system), named &lt;UTC time&gt;-&lt;id&gt;.eml so a listing sorts by time.
    /// </summary>
    private async Task WriteDropFileAsync(MailMessage mail, OutboxMessage message, CancellationToken ct)
    {
        var drop = DropDirectory;
        // Exactly once: a node killed after the rename but before marking the message Sent finds the file on the
        // next attempt and only marks it (the message id is in every file name).
        var id = message.Id.ToString("D10", CultureInfo.InvariantCulture);
        if (Directory.Exists(drop) && Directory.EnumerateFiles(drop, $"*-{id}-*.eml").Any()) return;
        var temp = Path.Combine(drop, ".tmp", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(temp);
        try
        {
            using (var client = new SmtpClient { DeliveryMethod = SmtpDeliveryMethod.SpecifiedPickupDirectory, PickupDirectoryLocation = temp })
                await client.SendMailAsync(mail, ct);
            var written = Directory.GetFiles(temp).Single();
            var name = $"{clock.GetUtcNow().UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}-{id}-{message.Kind}.eml";
            File.Move(written, Path.Combine(drop, SafeFileName(name)), overwrite: true);
        }
        finally
        {
            try { Directory.Delete(temp, recursive: true); } catch (IOException) { }
        }
    }

    private static string SafeFileName(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());

    private MailMessage Build(OutboxMessage message)
    {
        var mail = new MailMessage
        {
            From = new MailAddress(options.Mail.From),
            Subject = MailComposer.SingleLine(message.Subject),
            SubjectEncoding = Encoding.UTF8,
            HeadersEncoding = Encoding.UTF8,
            BodyEncoding = Encoding.UTF8,
        };
        mail.To.Add(new MailAddress(message.ToAddress));
        mail.Headers["Message-ID"] = $"<outbox-{message.Id}.{message.CreatedAt.ToUnixTimeMilliseconds()}@orgstack>";
        mail.Headers["X-Orgstack-Kind"] = SafeFileName(message.Kind);
        mail.Headers["Date"] = message.CreatedAt.ToString("r", CultureInfo.InvariantCulture).Replace("GMT", "+0000", StringComparison.Ordinal);

        var text = AlternateView.CreateAlternateViewFromString(message.TextBody, Encoding.UTF8, MediaTypeNames.Text.Plain);
        // Short lines travel as-is (UTF-8, 8bit), so the link in the text part stays readable in the raw file.
        text.TransferEncoding = HasShortLines(message.TextBody)
            ? (message.TextBody.All(char.IsAscii) ? TransferEncoding.SevenBit : TransferEncoding.EightBit)
            : TransferEncoding.QuotedPrintable;
        mail.AlternateViews.Add(text);
        if (message.HtmlBody is { Length: > 0 } html)
        {
            var view = AlternateView.CreateAlternateViewFromString(html, Encoding.UTF8, MediaTypeNames.Text.Html);
            view.TransferEncoding = TransferEncoding.QuotedPrintable;
            mail.AlternateViews.Add(view);
        }
        return mail;
    }

    private static bool HasShortLines(string text) =>
        text.All(c => c >= 32 || c is '\n' or '\r' or '\t') && text.Split('\n').All(line => line.Length < 900);
}

/// <summary>Polls the outbox every Mail:PollMilliseconds on every node.</summary>
public sealed class OutboxDeliveryService(OutboxDelivery delivery, OrgstackOptions options, ILogger<OutboxDeliveryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Mail delivery started on {Node}: {Mode}.", delivery.NodeId,
            string.IsNullOrWhiteSpace(options.Mail.Smtp.Host) ? $"drop folder {delivery.DropDirectory}" : $"SMTP {options.Mail.Smtp.Host}:{options.Mail.Smtp.Port}");
        var delay = TimeSpan.FromMilliseconds(Math.Max(10, options.Mail.PollMilliseconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var handled = await delivery.DeliverDueAsync(stoppingToken);
                if (handled > 0) continue;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The database is away (restart, failover) or one message broke the sender: keep polling. A claim held by a
                // failed round expires and the message is tried again; the host must not stop because mail failed.
                logger.LogWarning(e, "Mail delivery round failed; retrying.");
            }
            try { await Task.Delay(delay, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }
}

/// <summary>Registers mail delivery on every node.</summary>
public sealed class MailModule : Hosting.IServerModule
{
    public void AddServices(WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<OutboxDelivery>();
        builder.Services.AddHostedService<OutboxDeliveryService>();
    }
}
