using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;

namespace Orgstack.Core.Mail;

/// <summary>Operator view of the outbox: messages by status, newest first (the CLI's <c>mail list</c>).</summary>
public sealed class ListOutboxMessages(OrgstackDbContext db)
{
    public sealed record Request(OutboxStatus? Status, int Limit = 100);

    public async Task<Result<IReadOnlyList<OutboxMessage>>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        if (!actor.IsSystem) return Error.Forbidden("outbox.operator_only", "Only an operator can read the outbox.");
        if (request.Limit is < 1 or > 10_000) return Error.Validation("outbox.limit", "The limit must be between 1 and 10,000.", "limit");
        var query = db.OutboxMessages.AsNoTracking();
        if (request.Status is { } status) query = query.Where(m => m.Status == status);
        var rows = await query.OrderByDescending(m => m.Id).Take(request.Limit).ToListAsync(ct);
        return rows;
    }
}

/// <summary>Operator action: put a dead (or pending) message back in the queue for an immediate fresh series of attempts.</summary>
public sealed class RetryOutboxMessage(OrgstackDbContext db, TimeProvider clock)
{
    public async Task<Result<OutboxMessage>> HandleAsync(long id, Actor actor, CancellationToken ct)
    {
        if (!actor.IsSystem) return Error.Forbidden("outbox.operator_only", "Only an operator can retry mail.");
        var now = clock.GetUtcNow();
        var message = await db.OutboxMessages.FirstOrDefaultAsync(m => m.Id == id, ct);
        if (message is null) return Error.NotFound("outbox.not_found", $"No outbox message {id}.", "id");
        if (message.Status == OutboxStatus.Sent) return Error.Conflict("outbox.already_sent", $"Message {id} was already sent; it is not sent twice.");
        message.Status = OutboxStatus.Pending;
        message.Attempts = 0;
        message.NextAttemptAt = now;
        message.LockedUntil = null;
        message.LockedBy = null;
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, message.OrganizationUid, "mail", "retry", "outbox_message", id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            message.Kind, new { to = message.ToAddress, last_error = message.LastError }));
        await db.SaveChangesAsync(ct);
        return message;
    }
}
