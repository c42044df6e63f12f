using System.Data;
using System.Globalization;
using System.Text;
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
/// Access and the rate limit are checked before anything is answered. The header line then leaves at once (counting a
/// million rows first kept the first byte waiting for most of a second), the audit event with the row count is written
/// before any row, and the rows are read in keyset batches over the (organization, email) index inside one read
/// snapshot, with plain ADO.NET statements, and written as they come, so memory stays flat whatever the size.
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

    /// <summary>An authorized export: its file name, and the writer that audits and streams it.</summary>
    public sealed class Export(ExportMembersCsv owner, string organizationUid, string organizationName, Actor actor, string fileName)
    {
        public string FileName { get; } = fileName;

        /// <summary>Writes the header line (flushed at once), the audit event, then every row.</summary>
        public Task WriteAsync(TextWriter writer, CancellationToken ct) => owner.WriteAsync(organizationUid, organizationName, actor, writer, ct);
    }

    public async Task<Result<Export>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var grant = await access.GrantAsync(request.OrganizationUid, actor, ct);
        if (!grant.IsSuccess) return grant.Error!;
        if (!OrgPermissions.CanAdminister(grant.Value.Membership.Role)) return CommonErrors.NotAdmin;
        var now = clock.GetUtcNow();
        if (!await TakeRateLimitAsync("export_users:" + actor.UserUid, now, ct)) return TooManyExports;
        var fileName = $"users-{request.OrganizationUid}-{now.UtcDateTime:yyyy-MM-dd}.csv";
        return new Export(this, request.OrganizationUid, grant.Value.Organization.Name, actor, fileName);
    }

    /// <summary>
    /// A fixed-window counter in rate_limit_counters, changed only by one conditional upsert: the first use inserts the
    /// row, a use inside the current window increments it while under the limit, a use after an old window restarts it.
    /// Refused when nothing was written. (One plain statement: the export is answered once, so each EF query here was a
    /// cold one, compiled on the request, before the first byte.)
    /// </summary>
    private async Task<bool> TakeRateLimitAsync(string key, DateTimeOffset now, CancellationToken ct)
    {
        var window = new DateTimeOffset(now.UtcTicks - now.UtcTicks % RateWindow.Ticks, TimeSpan.Zero);
        await using var command = await LeanSql.CommandAsync(db, """
            INSERT INTO rate_limit_counters ("key", window_start, "count") VALUES (@key, @window, 1)
            ON CONFLICT ("key") DO UPDATE SET
              "count" = CASE WHEN rate_limit_counters.window_start = excluded.window_start THEN rate_limit_counters."count" + 1 ELSE 1 END,
              window_start = excluded.window_start
            WHERE rate_limit_counters.window_start < excluded.window_start
               OR (rate_limit_counters.window_start = excluded.window_start AND rate_limit_counters."count" < @limit)
            RETURNING "count"
            """, ct);
        command.Parameter("@key", key);
        command.Parameter("@window", LeanSql.Time(db, window));
        command.Parameter("@limit", RateLimit);
        return await command.ExecuteScalarAsync(ct) is not null and not DBNull;
    }

    private async Task WriteAsync(string organizationUid, string organizationName, Actor actor, TextWriter writer, CancellationToken ct)
    {
        await writer.WriteAsync(Csv.Line(Columns));
        await writer.FlushAsync(ct);

        // Audited before any row leaves, in its own short write (the snapshot below only reads).
        var now = clock.GetUtcNow();
        var rows = await db.Memberships.LongCountAsync(m => m.OrganizationUid == organizationUid, ct);
        db.AuditEvents.Add(Audit.Audit.Event(actor, now, organizationUid, "organization", "export_users", "organization", organizationUid, organizationName,
            new { rows, format = "csv" }));
        await db.SaveChangesAsync(ct);

        var firstBatch = LeanSql.Text(db, "export.members.first", d => BatchSql(d, after: false));
        var nextBatch = LeanSql.Text(db, "export.members.next", d => BatchSql(d, after: true));
        var rolesSql = LeanSql.Text(db, "export.members.roles", d => $"""
            SELECT a.membership_uid, s.name, r.name FROM stack_role_assignments a
            JOIN stacks s ON s.uid = a.stack_uid JOIN stack_roles r ON r.uid = a.role_uid
            WHERE a.membership_uid {LeanSql.InList(d, "@uids")}
            """);
        var line = new StringBuilder(512);
        var batch = new List<Row>(BatchSize);
        var rolesByMember = new Dictionary<string, List<(string Stack, string Role)>>(StringComparer.Ordinal);
        await using var snapshot = await Snapshot.BeginAsync(db, ct);
        string? after = null;
        while (true)
        {
            batch.Clear();
            await using (var command = await LeanSql.CommandAsync(db, after is null ? firstBatch : nextBatch, ct))
            {
                command.Parameter("@org", organizationUid);
                if (after is not null) command.Parameter("@after", after);
                command.Parameter("@take", BatchSize);
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                    batch.Add(new Row(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                        Enum.Parse<OrgRole>(reader.GetString(4)), Enum.Parse<MembershipStatus>(reader.GetString(5)),
                        reader.IsDBNull(6) ? null : reader.GetString(6),
                        LeanValues.Time(db, reader, 7)!.Value, LeanValues.Time(db, reader, 8), LeanValues.Time(db, reader, 9), LeanValues.Time(db, reader, 10)));
            }
            if (batch.Count == 0) break;
            after = batch[^1].Email;

            rolesByMember.Clear();
            await using (var command = await LeanSql.CommandAsync(db, rolesSql, ct))
            {
                command.Parameter("@uids", LeanSql.ListValue(db, batch.Select(r => r.Uid).ToList()));
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    var member = reader.GetString(0);
                    if (!rolesByMember.TryGetValue(member, out var held)) rolesByMember[member] = held = [];
                    held.Add((reader.GetString(1), reader.GetString(2)));
                }
            }

            foreach (var row in batch)
            {
                line.Clear();
                Csv.Append(line, row.Email).Append(',');
                Csv.Append(line, row.FirstName).Append(',');
                Csv.Append(line, row.LastName).Append(',');
                Csv.Append(line, RoleName(row.Role)).Append(',');
                Csv.Append(line, StatusName(row, now)).Append(',');
                Csv.Append(line, rolesByMember.TryGetValue(row.Uid, out var held) ? StackRoles(held) : "").Append(',');
                Csv.Append(line, row.InvitedByEmail ?? "").Append(',');
                Csv.Append(line, Time(row.InvitedAt)).Append(',');
                Csv.Append(line, Time(row.AcceptedAt)).Append(',');
                Csv.Append(line, Time(row.LastLoginAt)).Append(Csv.LineEnd);
                await writer.WriteAsync(line, ct);
            }
            await writer.FlushAsync(ct);
            if (batch.Count < BatchSize) break;
        }
    }

    private sealed record Row(string Uid, string Email, string FirstName, string LastName, OrgRole Role, MembershipStatus Status,
        string? InvitedByEmail, DateTimeOffset InvitedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? AcceptedAt, DateTimeOffset? LastLoginAt);

    /// <summary>One batch in email order from the (organization_uid, email) index, with the inviter's address joined.</summary>
    private static string BatchSql(LeanDb db, bool after) => $"""
        SELECT m.uid, m.email, m.first_name, m.last_name, m.role, m.status, u.email,
               m.invited_at, m.invitation_expires_at, m.accepted_at, m.last_login_at
        FROM memberships m LEFT JOIN users u ON u.uid = m.invited_by_user_uid
        WHERE m.organization_uid = @org{(after ? " AND m.email > @after" : "")}
        ORDER BY m.email LIMIT @take
        """;

    /// <summary>"Stack: Role, Role; Stack: Role", stacks and roles in ordinal order.</summary>
    private static string StackRoles(List<(string Stack, string Role)> held) =>
        string.Join("; ", held.GroupBy(x => x.Stack).OrderBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => s.Key + ": " + string.Join(", ", s.Select(x => x.Role).Order(StringComparer.Ordinal))));

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
