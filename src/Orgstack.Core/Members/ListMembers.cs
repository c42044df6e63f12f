using System.Text;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Members;

public enum MemberSort
{
    Email,
    Name,
    LastLogin,
}

public sealed record MemberStackRoles(string ApiKey, string StackName, IReadOnlyList<string> RoleUids);

public sealed record MemberRow(Membership Membership, IReadOnlyList<MemberStackRoles> Stacks, string? InvitedByEmail);

public sealed record MemberPage(IReadOnlyList<MemberRow> Items, long? Count, string? NextCursor);

/// <summary>
/// The users list: members and pending invitations of one organization, one page at a time. Every order is served
/// by an index on (organization, key, uid), so a page costs the same at a million members; the keyset cursor (for the
/// email and name orders) avoids even the cost of a large skip. Owner and Admin only.
/// </summary>
public sealed class ListMembers(OrgstackDbContext db, OrgAccess access)
{
    public sealed record Request(
        string OrganizationUid, int Skip = 0, int Limit = 100, MemberSort Sort = MemberSort.Email, bool Descending = false,
        string? Search = null, string? Cursor = null, IReadOnlyList<string>? Emails = null, bool IncludeCount = false, bool IncludeInvitedBy = true);

    public async Task<Result<MemberPage>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(request.OrganizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        var limit = Math.Clamp(request.Limit, 1, 1000);

        var query = db.Memberships.AsNoTracking().Where(m => m.OrganizationUid == request.OrganizationUid);
        if (request.Emails is { } emails)
        {
            var normalized = emails.Where(Common.Emails.IsValid).Select(Common.Emails.Normalize).Distinct().ToList();
            query = query.Where(m => normalized.Contains(m.Email));
        }
        if (!string.IsNullOrWhiteSpace(request.Search))
        {
            var text = request.Search.Trim().ToLowerInvariant();
            query = query.Where(m => m.Email.Contains(text) || m.SortName.Contains(text));
        }
        long? count = request.IncludeCount ? await query.LongCountAsync(ct) : null;

        List<Membership> page;
        if (request.Sort == MemberSort.LastLogin)
        {
            (DateTimeOffset? Key, string Uid)? position = null;
            if (request.Cursor is not null)
            {
                position = DecodeLastLoginCursor(request.Cursor);
                if (position is null) return InvalidCursor;
            }
            var skip = position is null ? Math.Max(0, request.Skip) : 0;
            // The users page's usual request (newest or oldest sign-ins, first page or a cursor) takes the lean path.
            page = skip == 0 && request.Emails is null && string.IsNullOrWhiteSpace(request.Search)
                ? await LeanLastLoginPageAsync(request.OrganizationUid, request.Descending, position, limit, ct)
                : await LastLoginPageAsync(query, request.Descending, position, skip, limit, ct);
        }
        else
        {
            (string Key, string Uid)? after = null;
            if (request.Cursor is not null)
            {
                after = DecodeCursor(request.Cursor);
                if (after is null) return InvalidCursor;
            }
            if (after is { } position)
            {
                var (key, uid) = position;
                query = (request.Sort, request.Descending) switch
                {
                    (MemberSort.Email, false) => query.Where(m => string.Compare(m.Email, key) > 0),
                    (MemberSort.Email, true) => query.Where(m => string.Compare(m.Email, key) < 0),
                    (_, false) => query.Where(m => string.Compare(m.SortName, key) > 0 || (m.SortName == key && string.Compare(m.Uid, uid) > 0)),
                    (_, true) => query.Where(m => string.Compare(m.SortName, key) < 0 || (m.SortName == key && string.Compare(m.Uid, uid) < 0)),
                };
            }

            IQueryable<Membership> ordered = (request.Sort, request.Descending) switch
            {
                (MemberSort.Email, false) => query.OrderBy(m => m.Email),
                (MemberSort.Email, true) => query.OrderByDescending(m => m.Email),
                (_, false) => query.OrderBy(m => m.SortName).ThenBy(m => m.Uid),
                (_, true) => query.OrderByDescending(m => m.SortName).ThenByDescending(m => m.Uid),
            };
            if (after is null && request.Skip > 0) ordered = ordered.Skip(request.Skip);
            page = await ordered.Take(limit).ToListAsync(ct);
        }

        var uids = page.Select(m => m.Uid).ToList();
        var roles = new List<(string MembershipUid, string ApiKey, string Name, string RoleUid)>();
        if (uids.Count > 0)
        {
            var rolesSql = LeanSql.Text(db, "members.stack_roles", d => $"""
                SELECT a.membership_uid, s.api_key, s.name, a.role_uid FROM stack_role_assignments a JOIN stacks s ON s.uid = a.stack_uid
                WHERE a.membership_uid {LeanSql.InList(d, "@uids")}
                """);
            await using var read = await LeanSql.ReadAsync(db, rolesSql, ct);
            var command = read.Command;
            command.Parameter("@uids", LeanSql.ListValue(db, uids));
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) roles.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }
        var byMember = roles.GroupBy(r => r.MembershipUid).ToDictionary(g => g.Key, g => (IReadOnlyList<MemberStackRoles>)g
            .GroupBy(r => (r.ApiKey, r.Name)).OrderBy(s => s.Key.Name, StringComparer.Ordinal)
            .Select(s => new MemberStackRoles(s.Key.ApiKey, s.Key.Name, s.Select(r => r.RoleUid).Order(StringComparer.Ordinal).ToList())).ToList());
        var inviterUids = request.IncludeInvitedBy ? page.Where(m => m.InvitedByUserUid is not null).Select(m => m.InvitedByUserUid!).Distinct().ToList() : [];
        var inviters = inviterUids.Count == 0 ? new Dictionary<string, string>()
            : await db.Users.AsNoTracking().Where(u => inviterUids.Contains(u.Uid)).Select(u => new { u.Uid, u.Email }).ToDictionaryAsync(u => u.Uid, u => u.Email, ct);

        var rows = page.Select(m => new MemberRow(m, byMember.GetValueOrDefault(m.Uid) ?? [],
            m.InvitedByUserUid is null ? null : inviters.GetValueOrDefault(m.InvitedByUserUid))).ToList();
        string? next = null;
        if (page.Count == limit)
        {
            var last = page[^1];
            next = EncodeCursor(request.Sort switch
            {
                MemberSort.Email => last.Email,
                MemberSort.Name => last.SortName,
                _ => last.LastLoginAt?.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
            }, last.Uid);
        }
        return new MemberPage(rows, count, next);
    }

    /// <summary>
    /// The last-login order as two index ranges read one after the other: people who have signed in (by last login,
    /// then uid) and people who never have (by uid), the latter last when newest come first and first otherwise, on
    /// every provider. Each range is a plain keyset seek on (organization, last_login_at, uid), so a page deep in a
    /// million members costs what the first one does; a skip is only paid where no cursor is given.
    /// </summary>
    private static async Task<List<Membership>> LastLoginPageAsync(IQueryable<Membership> query, bool descending,
        (DateTimeOffset? Key, string Uid)? after, int skip, int limit, CancellationToken ct)
    {
        var signedIn = query.Where(m => m.LastLoginAt != null);
        var never = query.Where(m => m.LastLoginAt == null);
        bool includeSignedIn = true, includeNever = true;
        if (after is { Key: { } key, Uid: var uid })
        {
            signedIn = descending
                ? signedIn.Where(m => m.LastLoginAt <= key && (m.LastLoginAt < key || string.Compare(m.Uid, uid) < 0))
                : signedIn.Where(m => m.LastLoginAt >= key && (m.LastLoginAt > key || string.Compare(m.Uid, uid) > 0));
            includeNever = descending;
        }
        else if (after is { Key: null, Uid: var neverUid })
        {
            never = descending ? never.Where(m => string.Compare(m.Uid, neverUid) < 0) : never.Where(m => string.Compare(m.Uid, neverUid) > 0);
            includeSignedIn = !descending;
        }
        var signedInOrdered = descending
            ? signedIn.OrderByDescending(m => m.LastLoginAt).ThenByDescending(m => m.Uid)
            : signedIn.OrderBy(m => m.LastLoginAt).ThenBy(m => m.Uid);
        var neverOrdered = descending ? never.OrderByDescending(m => m.Uid) : never.OrderBy(m => m.Uid);
        (IQueryable<Membership> Rows, bool Include)[] ranges = descending
            ? [(signedInOrdered, includeSignedIn), (neverOrdered, includeNever)]
            : [(neverOrdered, includeNever), (signedInOrdered, includeSignedIn)];

        var page = new List<Membership>(limit);
        foreach (var (rows, include) in ranges)
        {
            if (!include) continue;
            var found = await (skip > 0 ? rows.Skip(skip) : rows).Take(limit - page.Count).ToListAsync(ct);
            page.AddRange(found);
            if (page.Count == limit) break;
            // This range ended inside the page: the rest of the skip (if any) applies to the next range.
            if (skip > 0) skip = found.Count > 0 ? 0 : (int)Math.Max(0, skip - await rows.LongCountAsync(ct));
        }
        return page;
    }

    /// <summary>
    /// <see cref="LastLoginPageAsync"/> without a skip, as plain statements: the same two index ranges, the same seeks, the
    /// same order, read with <see cref="LeanSql"/> (the EF pipeline cost more than the index seek itself).
    /// </summary>
    private async Task<List<Membership>> LeanLastLoginPageAsync(string organizationUid, bool descending, (DateTimeOffset? Key, string Uid)? after,
        int limit, CancellationToken ct)
    {
        var (direction, before, beforeOrEqual) = descending ? ("DESC", "<", "<=") : ("ASC", ">", ">=");
        string signedIn = "signed_in", never = "never";
        bool includeSignedIn = true, includeNever = true;
        string signedInSeek = "", neverSeek = "";
        if (after is { Key: not null })
        {
            signedInSeek = "seek";
            includeNever = descending;
        }
        else if (after is { Key: null })
        {
            neverSeek = "seek";
            includeSignedIn = !descending;
        }
        var ranges = descending ? new[] { (signedIn, includeSignedIn), (never, includeNever) } : [(never, includeNever), (signedIn, includeSignedIn)];
        var memberships = LeanSql.Reader<Membership>(db);
        var page = new List<Membership>(limit);
        foreach (var (range, include) in ranges)
        {
            if (!include) continue;
            var seek = range == signedIn ? signedInSeek : neverSeek;
            var sql = LeanSql.Text(db, $"members.last_login.{range}.{direction}.{seek}", d =>
            {
                var filter = range == signedIn
                    ? "m.last_login_at IS NOT NULL" + (seek.Length > 0 ? $" AND m.last_login_at {beforeOrEqual} @key AND (m.last_login_at {before} @key OR m.uid {before} @uid)" : "")
                    : "m.last_login_at IS NULL" + (seek.Length > 0 ? $" AND m.uid {before} @uid" : "");
                var order = range == signedIn ? $"m.last_login_at {direction}, m.uid {direction}" : $"m.uid {direction}";
                return $"SELECT {LeanSql.Reader<Membership>(d).Columns("m")} FROM memberships m WHERE m.organization_uid = @org AND {filter} ORDER BY {order} LIMIT @take";
            });
            await using var read = await LeanSql.ReadAsync(db, sql, ct);
            var command = read.Command;
            command.Parameter("@org", organizationUid);
            command.Parameter("@take", limit - page.Count);
            if (seek.Length > 0)
            {
                if (range == signedIn) command.Parameter("@key", LeanSql.Time(db, after!.Value.Key!.Value));
                command.Parameter("@uid", after!.Value.Uid);
            }
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) page.Add(memberships.Read(reader, 0));
            if (page.Count == limit) break;
        }
        return page;
    }

    private static (DateTimeOffset?, string)? DecodeLastLoginCursor(string cursor)
    {
        if (DecodeCursor(cursor) is not var (key, uid)) return null;
        if (key.Length == 0) return (null, uid);
        return long.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ticks)
            && ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks
            ? (new DateTimeOffset(ticks, TimeSpan.Zero), uid)
            : null;
    }

    private static readonly Error InvalidCursor = Error.Validation("members.cursor_invalid", "The cursor is not valid for this order.", "cursor");

    private static string EncodeCursor(string key, string uid) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(key + "\n" + uid)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static (string, string)? DecodeCursor(string cursor)
    {
        if (cursor.Length > 2000) return null;
        var base64 = cursor.Replace('-', '+').Replace('_', '/');
        base64 += new string('=', (4 - base64.Length % 4) % 4);
        var bytes = new byte[base64.Length];
        if (!Convert.TryFromBase64String(base64, bytes, out var written)) return null;
        var text = Encoding.UTF8.GetString(bytes, 0, written);
        var split = text.IndexOf('\n');
        return split < 0 ? null : (text[..split], text[(split + 1)..]);
    }
}
