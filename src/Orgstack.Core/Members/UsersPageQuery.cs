using System.Linq.Expressions;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Members;

public enum UsersSort
{
    Name,
    Email,
    Role,
    Status,
    LastLogin,
}

public sealed record UserRow(
    string MembershipUid, string? UserUid, string Email, string FirstName, string LastName, OrgRole Role, MembershipStatus Status,
    DateTimeOffset? LastLoginAt, DateTimeOffset InvitedAt, DateTimeOffset? InvitationExpiresAt, bool Locked, bool MfaEnabled, int StackCount)
{
    public string DisplayName => $"{FirstName} {LastName}".Trim();
}

public sealed record UsersPage(IReadOnlyList<UserRow> Rows, int Total, string? NextCursor, string? PreviousCursor);

/// <summary>
/// The console's Users list: members and pending invitations of one organization, sorted by any column, searched,
/// and paged by keyset (seek) on the membership table's indexes, (organization_uid, sort_name, uid) and
/// (organization_uid, last_login_at, uid), so page 2,000 costs what page 1 costs even with a million members.
/// Read-only; Owner and Admins only.
/// </summary>
public sealed class UsersPageQuery(OrgstackDbContext db, OrgAccess access)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 100;

    public sealed record Request(string OrganizationUid, UsersSort Sort = UsersSort.Name, bool Descending = false, string? Search = null,
        OrgRole? Role = null, MembershipStatus? Status = null, string? After = null, string? Before = null, int Limit = DefaultLimit);

    private enum Key { Name, Email, LastLogin, Uid }

    /// <summary>A run of rows sharing one ordering; a sort is a list of runs (e.g. signed in at some point, then never).</summary>
    private sealed record Segment(int Id, Expression<Func<Membership, bool>> Filter, Key Key, bool Ascending)
    {
        public Func<Membership, bool> Matches { get; } = Filter.Compile();
    }

    private sealed record Cursor(int Segment, string? Text, long? Time, string Uid);

    public async Task<Result<UsersPage>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(request.OrganizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        var limit = Math.Clamp(request.Limit, 1, MaxLimit);

        var search = request.Search?.Trim().ToLowerInvariant();
        var narrowed = !string.IsNullOrEmpty(search) || request.Role is not null || request.Status is not null;
        // In email order SQLite prefers the narrow unique (organization_uid, email) index and reads a table row for every
        // entry to check a search or filter; the email-order index carries those columns, so name it (SQLite only).
        var source = narrowed && request.Sort == UsersSort.Email && db.IsSqlite
            ? db.Memberships.FromSqlRaw("SELECT * FROM \"memberships\" INDEXED BY \"ix_memberships_users_by_email\"")
            : db.Memberships;
        if (search is { Length: > 254 }) search = search[..254];
        IQueryable<Membership> Narrow(IQueryable<Membership> rows)
        {
            rows = rows.AsNoTracking().Where(m => m.OrganizationUid == request.OrganizationUid);
            if (request.Role is { } role) rows = rows.Where(m => m.Role == role);
            if (request.Status is { } status) rows = rows.Where(m => m.Status == status);
            if (!string.IsNullOrEmpty(search)) rows = rows.Where(m => m.Email.Contains(search) || m.SortName.Contains(search));
            return rows;
        }
        var filtered = Narrow(source);

        var segments = SegmentsFor(request.Sort, request.Descending);
        var forward = request.Before is null;
        var cursor = Decode(forward ? request.After : request.Before);
        if (cursor is not null && segments.All(s => s.Id != cursor.Segment)) cursor = null;
        if (!forward && cursor is null) forward = true;

        var (rows, hasMore) = await SeekAsync(filtered, segments, cursor, forward, limit, ct);
        if (!forward && !hasMore)
        {
            // Paging back reached the start: show a full first page instead of a short one.
            (rows, hasMore) = await SeekAsync(filtered, segments, null, true, limit, ct);
            forward = true;
            cursor = null;
        }

        string? next, previous;
        if (forward)
        {
            next = hasMore ? Encode(segments, rows[^1]) : null;
            previous = cursor is not null && rows.Count > 0 ? Encode(segments, rows[0]) : null;
        }
        else
        {
            next = rows.Count > 0 ? Encode(segments, rows[^1]) : null;
            previous = hasMore ? Encode(segments, rows[0]) : null;
        }

        // A first page that holds everything is its own count (a search that matches a few people is read once, not twice).
        var total = forward && cursor is null && !hasMore ? rows.Count : await Narrow(db.Memberships).CountAsync(ct);
        return new UsersPage(await DescribeAsync(rows, ct), total, next, previous);
    }

    private static List<Segment> SegmentsFor(UsersSort sort, bool descending)
    {
        var asc = !descending;
        return sort switch
        {
            UsersSort.Email => [new(0, m => true, Key.Email, asc)],
            UsersSort.Role => Ordered(asc,
                new Segment(0, m => m.Role == OrgRole.Owner, Key.Name, asc),
                new Segment(1, m => m.Role == OrgRole.Admin, Key.Name, asc),
                new Segment(2, m => m.Role == OrgRole.Member, Key.Name, asc)),
            UsersSort.Status => Ordered(asc,
                new Segment(0, m => m.Status == MembershipStatus.Accepted, Key.Name, asc),
                new Segment(1, m => m.Status == MembershipStatus.Pending, Key.Name, asc)),
            // Whichever the direction, people who never signed in come last.
            UsersSort.LastLogin =>
            [
                new(0, m => m.LastLoginAt != null, Key.LastLogin, asc),
                new(1, m => m.LastLoginAt == null, Key.Uid, asc),
            ],
            _ => [new(0, m => true, Key.Name, asc)],
        };
    }

    private static List<Segment> Ordered(bool ascending, params Segment[] segments) => ascending ? [.. segments] : [.. segments.Reverse()];

    private static async Task<(List<Membership> Rows, bool HasMore)> SeekAsync(IQueryable<Membership> filtered, List<Segment> segments, Cursor? cursor,
        bool forward, int limit, CancellationToken ct)
    {
        var walk = forward ? segments : Enumerable.Reverse(segments).ToList();
        var start = cursor is null ? 0 : walk.FindIndex(s => s.Id == cursor.Segment);
        var rows = new List<Membership>(limit + 1);
        for (var i = start; i < walk.Count && rows.Count <= limit; i++)
        {
            var segment = walk[i];
            var ascending = segment.Ascending == forward;
            var query = Apply(filtered.Where(segment.Filter), segment.Key, ascending, i == start ? cursor : null);
            rows.AddRange(await query.Take(limit + 1 - rows.Count).ToListAsync(ct));
        }
        var hasMore = rows.Count > limit;
        if (hasMore) rows.RemoveAt(rows.Count - 1);
        if (!forward) rows.Reverse();
        return (rows, hasMore);
    }

    /// <summary>Rows after the cursor in this order, written as <c>key >= k AND (key > k OR uid > u)</c> so the index range scan starts at the cursor.</summary>
    private static IQueryable<Membership> Apply(IQueryable<Membership> query, Key key, bool ascending, Cursor? after)
    {
        switch (key)
        {
            case Key.Name:
                if (after?.Text is { } name)
                    query = ascending
                        ? query.Where(m => m.SortName.CompareTo(name) >= 0 && (m.SortName.CompareTo(name) > 0 || m.Uid.CompareTo(after.Uid) > 0))
                        : query.Where(m => m.SortName.CompareTo(name) <= 0 && (m.SortName.CompareTo(name) < 0 || m.Uid.CompareTo(after.Uid) < 0));
                return ascending ? query.OrderBy(m => m.SortName).ThenBy(m => m.Uid) : query.OrderByDescending(m => m.SortName).ThenByDescending(m => m.Uid);
            case Key.Email:
                if (after?.Text is { } email)
                    query = ascending
                        ? query.Where(m => m.Email.CompareTo(email) >= 0 && (m.Email.CompareTo(email) > 0 || m.Uid.CompareTo(after.Uid) > 0))
                        : query.Where(m => m.Email.CompareTo(email) <= 0 && (m.Email.CompareTo(email) < 0 || m.Uid.CompareTo(after.Uid) < 0));
                return ascending ? query.OrderBy(m => m.Email).ThenBy(m => m.Uid) : query.OrderByDescending(m => m.Email).ThenByDescending(m => m.Uid);
            case Key.LastLogin:
                if (after?.Time is { } ms)
                {
                    var at = DateTimeOffset.FromUnixTimeMilliseconds(ms);
                    query = ascending
                        ? query.Where(m => m.LastLoginAt >= at && (m.LastLoginAt > at || m.Uid.CompareTo(after.Uid) > 0))
                        : query.Where(m => m.LastLoginAt <= at && (m.LastLoginAt < at || m.Uid.CompareTo(after.Uid) < 0));
                }
                return ascending ? query.OrderBy(m => m.LastLoginAt).ThenBy(m => m.Uid) : query.OrderByDescending(m => m.LastLoginAt).ThenByDescending(m => m.Uid);
            default:
                if (after is not null)
                    query = ascending ? query.Where(m => m.Uid.CompareTo(after.Uid) > 0) : query.Where(m => m.Uid.CompareTo(after.Uid) < 0);
                return ascending ? query.OrderBy(m => m.Uid) : query.OrderByDescending(m => m.Uid);
        }
    }

    private static string Encode(List<Segment> segments, Membership row)
    {
        var segment = segments.First(s => s.Matches(row));
        var cursor = segment.Key switch
        {
            Key.Name => new Cursor(segment.Id, row.SortName, null, row.Uid),
            Key.Email => new Cursor(segment.Id, row.Email, null, row.Uid),
            Key.LastLogin => new Cursor(segment.Id, null, row.LastLoginAt?.ToUnixTimeMilliseconds(), row.Uid),
            _ => new Cursor(segment.Id, null, null, row.Uid),
        };
        return Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(cursor)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>A cursor that does not decode is ignored (first page): it is the caller's own navigation state, not a secret.</summary>
    private static Cursor? Decode(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 2000) return null;
        try
        {
            var base64 = value.Replace('-', '+').Replace('_', '/');
            base64 += new string('=', (4 - base64.Length % 4) % 4);
            var cursor = JsonSerializer.Deserialize<Cursor>(Encoding.UTF8.GetString(Convert.FromBase64String(base64)));
            return cursor is { Uid: { Length: > 0 and <= 64 } } ? cursor : null;
        }
        catch (FormatException) { return null; }
        catch (JsonException) { return null; }
    }

    /// <summary>Lock, MFA and stack counts for the rows of one page only.</summary>
    private async Task<IReadOnlyList<UserRow>> DescribeAsync(List<Membership> rows, CancellationToken ct)
    {
        var userUids = rows.Where(r => r.UserUid != null).Select(r => r.UserUid!).ToList();
        var users = await db.Users.AsNoTracking().Where(u => userUids.Contains(u.Uid))
            .Select(u => new { u.Uid, Locked = u.LockedAt != null, u.TotpEnabled }).ToDictionaryAsync(u => u.Uid, ct);
        var membershipUids = rows.Select(r => r.Uid).ToList();
        var stacks = await db.StackRoleAssignments.AsNoTracking().Where(a => membershipUids.Contains(a.MembershipUid))
            .Select(a => new { a.MembershipUid, a.StackUid }).Distinct()
            .GroupBy(a => a.MembershipUid).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        return rows.Select(m =>
        {
            var user = m.UserUid is null ? null : users.GetValueOrDefault(m.UserUid);
            return new UserRow(m.Uid, m.UserUid, m.Email, m.FirstName, m.LastName, m.Role, m.Status, m.LastLoginAt, m.InvitedAt, m.InvitationExpiresAt,
                user?.Locked ?? false, user?.TotpEnabled ?? false, stacks.GetValueOrDefault(m.Uid));
        }).ToList();
    }
}
