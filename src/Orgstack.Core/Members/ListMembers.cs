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
        string? Search = null, string? Cursor = null, IReadOnlyList<string>? Emails = null, bool IncludeCount = false);

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
            page = await LastLoginPageAsync(query, request.Descending, position, position is null ? Math.Max(0, request.Skip) : 0, limit, ct);
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
        var roles = await (from a in db.StackRoleAssignments.AsNoTracking()
                           join s in db.Stacks.AsNoTracking() on a.StackUid equals s.Uid
                           where uids.Contains(a.MembershipUid)
                           select new { a.MembershipUid, s.ApiKey, s.Name, a.RoleUid }).ToListAsync(ct);
        var byMember = roles.GroupBy(r => r.MembershipUid).ToDictionary(g => g.Key, g => (IReadOnlyList<MemberStackRoles>)g
            .GroupBy(r => (r.ApiKey, r.Name)).OrderBy(s => s.Key.Name, StringComparer.Ordinal)
            .Select(s => new MemberStackRoles(s.Key.ApiKey, s.Key.Name, s.Select(r => r.RoleUid).Order(StringComparer.Ordinal).ToList())).ToList());
        var inviterUids = page.Where(m => m.InvitedByUserUid is not null).Select(m => m.InvitedByUserUid!).Distinct().ToList();
        var inviters = await db.Users.AsNoTracking().Where(u => inviterUids.Contains(u.Uid)).Select(u => new { u.Uid, u.Email }).ToDictionaryAsync(u => u.Uid, u => u.Email, ct);

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
