using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Audit;

/// <summary>
/// The organization's audit log, newest first (Owner or Admin). Filters: the acting user (uid or email), the module, the
/// event type, and a time range [From, To). Pages with skip/limit over the (organization, created_at) index.
/// </summary>
public sealed class ListAuditLogs(OrgstackDbContext db, OrgAccess access)
{
    public const int DefaultLimit = 25;
    public const int MaxLimit = 100;

    public sealed record Request(string OrganizationUid, int Skip = 0, int Limit = DefaultLimit, string? User = null, string? Module = null,
        string? EventType = null, DateTimeOffset? From = null, DateTimeOffset? To = null, bool IncludeCount = false);

    public sealed record Page(IReadOnlyList<AuditEvent> Items, long? Count);

    public async Task<Result<Page>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(request.OrganizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        if (request.Skip < 0) return Error.Validation("logs.skip", "skip must be a whole number of at least 0.", "skip");
        if (request.Limit is < 1) return Error.Validation("logs.limit", "limit must be a whole number of at least 1.", "limit");
        if (request.From is { } f && request.To is { } t && f > t) return Error.Validation("logs.range", "from must not be after to.", "from");
        foreach (var (name, value) in new[] { ("user", request.User), ("module", request.Module), ("event_type", request.EventType) })
            if (value is { Length: > 254 }) return Error.Validation("logs.filter", $"{name} must be at most 254 characters.", name);

        var query = db.AuditEvents.AsNoTracking().Where(e => e.OrganizationUid == request.OrganizationUid);
        if (request.User is { Length: > 0 } user)
        {
            var email = Emails.Normalize(user);
            query = user.Contains('@', StringComparison.Ordinal) ? query.Where(e => e.ActorEmail == email) : query.Where(e => e.ActorUserUid == user);
        }
        if (request.Module is { Length: > 0 } module) query = query.Where(e => e.Module == module);
        if (request.EventType is { Length: > 0 } eventType) query = query.Where(e => e.EventType == eventType);
        if (request.From is { } from) query = query.Where(e => e.CreatedAt >= from);
        if (request.To is { } to) query = query.Where(e => e.CreatedAt < to);

        long? count = request.IncludeCount ? await query.LongCountAsync(ct) : null;
        var items = await query.OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.Uid)
            .Skip(request.Skip).Take(Math.Min(request.Limit, MaxLimit)).ToListAsync(ct);
        return new Page(items, count);
    }
}

/// <summary>One audit event of the organization (Owner or Admin); another organization's event answers as not found.</summary>
public sealed class GetAuditLog(OrgstackDbContext db, OrgAccess access)
{
    public static readonly Error NotFound = Error.NotFound("logs.not_found", "The log item was not found.", "log_uid");

    public async Task<Result<AuditEvent>> HandleAsync(string organizationUid, string logUid, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(organizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        if (!Ids.LooksValid(logUid)) return NotFound;
        var item = await db.AuditEvents.AsNoTracking().FirstOrDefaultAsync(e => e.Uid == logUid && e.OrganizationUid == organizationUid, ct);
        return item is null ? NotFound : item;
    }
}
