using System.Data;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Export;

/// <summary>
/// Exports every member and pending invitation of an organization as CSV, sorted by email (Owner or Admin only).
/// The audit event (with the row count) is written before anything is streamed; the rows are then read in keyset
/// batches over the (organization, email) index inside one read snapshot and written as they come, so memory stays flat
/// whatever the size of the organization.
/// </summary>
public sealed class ExportMembersCsv(OrgstackDbContext db, OrgAccess access, TimeProvider clock)
{
    public const int BatchSize = 1000;

    /// <summary>Exports one user may start per window, counted in the database so the limit holds across nodes.</summary>
    public const int RateLimit = 10;
    public static readonly TimeSpan RateWindow = TimeSpan.FromMinutes(10);

    public static readonly Error TooManyExports = new("export.rate_limited",
        $"Too many exports: at most {RateLimit} every {RateWindow.TotalMinutes:0} minutes. Please try again later.", ErrorKind.RateLimited, 429);

    public static readonly IReadOnlyList<string> Columns =
        ["Email", "First Name", "Last Name", "Organization Role", "Status", "Stack Roles", "Invited By", "Invited At", "Accepted At", "Last Login At"];

    public sealed record Request(string OrganizationUid);

    /// <summary>A prepared export: its size and file name, and the writer that streams it.</summary>
    public sealed class Export(ExportMembersCsv owner, string organizationUid, long rowCount, string fileName)
    {
        public long RowCount { get; } = rowCount;
        public string FileName { get; } = fileName;

        public Task WriteAsync(TextWriter writer, CancellationToken ct) => owner.WriteAsync(organizationUid, writer, ct);
    }

    public async Task<Result<Export>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(request.OrganizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        var now = clock.GetUtcNow();
        if (!await TakeRateLimitAsync("export_users:" + actor.UserUid, now, ct)) return TooManyExports;
        var rows = await db.Memberships.LongCountAsync(m => m.OrganizationUid == request.OrganizationUid, ct);
        var name = await db.Organizations.Where(o => o.Uid == request.OrganizationUid).Select(o => o.Name).FirstAsync(ct);
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, request.OrganizationUid, "organization", "export_users", "organization", request.OrganizationUid, name,
            new { rows, format = "csv" }));
        await db.SaveChangesAsync(ct);
        var fileName = $"users-{request.OrganizationUid}-{now.UtcDateTime:yyyy-MM-dd}.csv";
        return new Export(this, request.OrganizationUid, rows, fileName);
    }

    /// <summary>
    /// A fixed-window counter in rate_limit_counters, changed only by conditional updates: increment inside the current
    /// window while under the limit, or restart an old window; the first use inserts the row.
    /// </summary>
    private async Task<bool> TakeRateLimitAsync(string key, DateTimeOffset now, CancellationToken ct)
    {
        var window = new DateTimeOffset(now.UtcTicks - now.UtcTicks % RateWindow.Ticks, TimeSpan.Zero);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (await db.RateLimitCounters.Where(c => c.Key == key && c.WindowStart == window && c.Count < RateLimit)
                    .ExecuteUpdateAsync(u => u.SetProperty(c => c.Count, c => c.Count + 1), ct) == 1) return true;
            if (await db.RateLimitCounters.Where(c => c.Key == key && c.WindowStart < window)
                    .ExecuteUpdateAsync(u => u.SetProperty(c => c.WindowStart, window).SetProperty(c => c.Count, 1), ct) == 1) return true;
            if (await db.RateLimitCounters.AnyAsync(c => c.Key == key, ct)) return false;
            db.RateLimitCounters.Add(new Security.RateLimitCounter { Key = key, WindowStart = window, Count = 1 });
            try
            {
                await db.SaveChangesAsync(ct);
                return true;
            }
            catch (DbUpdateException)
            {
                // Another request inserted the row first: count against it.
                db.ChangeTracker.Clear();
            }
        }
        return false;
    }

    private sealed record Row(string Uid, string Email, string FirstName, string LastName, OrgRole Role, MembershipStatus Status,
        string? InvitedByUserUid, DateTimeOffset InvitedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? AcceptedAt, DateTimeOffset? LastLoginAt);

    private async Task WriteAsync(string organizationUid, TextWriter writer, CancellationToken ct)
    {
        await writer.WriteAsync(Csv.Line(Columns));
        var now = clock.GetUtcNow();
        await using var snapshot = await Snapshot.BeginAsync(db, ct);
        string? after = null;
        while (true)
        {
            var query = db.Memberships.AsNoTracking().Where(m => m.OrganizationUid == organizationUid);
            if (after is not null) query = query.Where(m => string.Compare(m.Email, after) > 0);
            var batch = await query.OrderBy(m => m.Email).Take(BatchSize)
                .Select(m => new Row(m.Uid, m.Email, m.FirstName, m.LastName, m.Role, m.Status, m.InvitedByUserUid, m.InvitedAt, m.InvitationExpiresAt, m.AcceptedAt, m.LastLoginAt))
                .ToListAsync(ct);
            if (batch.Count == 0) break;
            after = batch[^1].Email;

            var uids = batch.Select(r => r.Uid).ToList();
            var roles = await (from a in db.StackRoleAssignments.AsNoTracking()
                               join s in db.Stacks.AsNoTracking() on a.StackUid equals s.Uid
                               join r in db.StackRoles.AsNoTracking() on a.RoleUid equals r.Uid
                               where uids.Contains(a.MembershipUid)
                               select new { a.MembershipUid, Stack = s.Name, Role = r.Name }).ToListAsync(ct);
            var rolesByMember = roles.GroupBy(r => r.MembershipUid).ToDictionary(g => g.Key, g => string.Join("; ",
                g.GroupBy(x => x.Stack).OrderBy(s => s.Key, StringComparer.Ordinal)
                    .Select(s => s.Key + ": " + string.Join(", ", s.Select(x => x.Role).Order(StringComparer.Ordinal)))));
            var inviterUids = batch.Where(r => r.InvitedByUserUid is not null).Select(r => r.InvitedByUserUid!).Distinct().ToList();
            var inviters = inviterUids.Count == 0
                ? new Dictionary<string, string>()
                : await db.Users.AsNoTracking().Where(u => inviterUids.Contains(u.Uid)).ToDictionaryAsync(u => u.Uid, u => u.Email, ct);

            foreach (var row in batch)
            {
                await writer.WriteAsync(Csv.Line([
                    row.Email, row.FirstName, row.LastName, RoleName(row.Role), StatusName(row, now),
                    rolesByMember.GetValueOrDefault(row.Uid, ""),
                    row.InvitedByUserUid is null ? "" : inviters.GetValueOrDefault(row.InvitedByUserUid, ""),
                    Time(row.InvitedAt), Time(row.AcceptedAt), Time(row.LastLoginAt),
                ]));
            }
            await writer.FlushAsync(ct);
            if (batch.Count < BatchSize) break;
        }
    }

    /// <summary>One consistent view for the whole export: a repeatable-read transaction on PostgreSQL, a deferred (read-only) one on SQLite.</summary>
    private sealed class Snapshot(OrgstackDbContext db, IDbContextTransaction? ef, SqliteTransaction? sqlite) : IAsyncDisposable
    {
        public static async Task<Snapshot> BeginAsync(OrgstackDbContext db, CancellationToken ct)
        {
            if (db.Database.CurrentTransaction is not null) return new Snapshot(db, null, null);
            if (!db.IsSqlite) return new Snapshot(db, await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct), null);
            await db.Database.OpenConnectionAsync(ct);
            var transaction = ((SqliteConnection)db.Database.GetDbConnection()).BeginTransaction(deferred: true);
            return new Snapshot(db, await db.Database.UseTransactionAsync(transaction, ct), transaction);
        }

        public async ValueTask DisposeAsync()
        {
            if (ef is not null) await ef.DisposeAsync();
            if (sqlite is not null)
            {
                await db.Database.UseTransactionAsync(null);
                await sqlite.DisposeAsync();
                await db.Database.CloseConnectionAsync();
            }
        }
    }

    private static string RoleName(OrgRole role) => role switch
    {
        OrgRole.Owner => "Owner",
        OrgRole.Admin => "Admin",
        _ => "Member",
    };

    private static string StatusName(Row row, DateTimeOffset now) => row.Status switch
    {
        MembershipStatus.Accepted => "Active",
        _ when row.ExpiresAt is { } expires && expires <= now => "Expired",
        _ => "Pending",
    };

    private static string Time(DateTimeOffset? value) =>
        value is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) : "";
}
