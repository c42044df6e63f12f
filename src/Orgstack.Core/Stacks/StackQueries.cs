using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Stacks;

/// <summary>A stack with the uids of its users (its owner and every accepted member holding a role in it).</summary>
public sealed record StackView(Stack Stack, IReadOnlyList<string> UserUids);

/// <summary>A stack as the organization's stack administration lists it.</summary>
public sealed record OrganizationStackView(Stack Stack, User? Owner, int UserCount);

/// <summary>One user of a stack with their roles there.</summary>
public sealed record StackUserView(Membership Membership, User User, bool IsStackOwner, IReadOnlyList<StackRole> Roles);

public enum StackSort
{
    Name,
    CreatedAt,
    UpdatedAt,
}

/// <summary>Shared queries over a stack's users.</summary>
internal static class StackUsers
{
    /// <summary>The accepted memberships that reach the stack: its owner's, and those holding a role in it.</summary>
    public static IQueryable<Membership> Of(OrgstackDbContext db, Stack stack) =>
        db.Memberships.AsNoTracking().Where(m => m.OrganizationUid == stack.OrganizationUid && m.Status == MembershipStatus.Accepted
            && (m.UserUid == stack.OwnerUserUid || db.StackRoleAssignments.Any(a => a.StackUid == stack.Uid && a.MembershipUid == m.Uid)));

    /// <summary>User uids per stack for a page of stacks (at most 100).</summary>
    public static async Task<Dictionary<string, List<string>>> UserUidsAsync(OrgstackDbContext db, IReadOnlyList<Stack> stacks, CancellationToken ct)
    {
        var uids = stacks.Select(s => s.Uid).ToList();
        var pairs = await (from a in db.StackRoleAssignments.AsNoTracking()
                           join m in db.Memberships.AsNoTracking() on a.MembershipUid equals m.Uid
                           where uids.Contains(a.StackUid) && m.Status == MembershipStatus.Accepted && m.UserUid != null
                           select new { a.StackUid, m.UserUid }).Distinct().ToListAsync(ct);
        var owners = await OwnersWhoAreMembersAsync(db, stacks, ct);
        return stacks.ToDictionary(s => s.Uid, s =>
        {
            var list = pairs.Where(p => p.StackUid == s.Uid).Select(p => p.UserUid!).ToList();
            if (owners.Contains((s.OrganizationUid, s.OwnerUserUid)) && !list.Contains(s.OwnerUserUid)) list.Insert(0, s.OwnerUserUid);
            return list;
        });
    }

    /// <summary>Users per stack, counted in the database (a stack may have very many).</summary>
    public static async Task<Dictionary<string, int>> UserCountsAsync(OrgstackDbContext db, IReadOnlyList<Stack> stacks, CancellationToken ct)
    {
        var uids = stacks.Select(s => s.Uid).ToList();
        var counts = await (from a in db.StackRoleAssignments.AsNoTracking()
                            join m in db.Memberships.AsNoTracking() on a.MembershipUid equals m.Uid
                            where uids.Contains(a.StackUid) && m.Status == MembershipStatus.Accepted
                            group a by a.StackUid into g
                            select new { StackUid = g.Key, Count = g.Select(x => x.MembershipUid).Distinct().Count() }).ToListAsync(ct);
        var ownerUids = stacks.Select(s => s.OwnerUserUid).Distinct().ToList();
        var ownerAssigned = await (from a in db.StackRoleAssignments.AsNoTracking()
                                   join m in db.Memberships.AsNoTracking() on a.MembershipUid equals m.Uid
                                   where uids.Contains(a.StackUid) && m.UserUid != null && ownerUids.Contains(m.UserUid)
                                   select new { a.StackUid, m.UserUid }).Distinct().ToListAsync(ct);
        var owners = await OwnersWhoAreMembersAsync(db, stacks, ct);
        return stacks.ToDictionary(s => s.Uid, s =>
            (counts.FirstOrDefault(c => c.StackUid == s.Uid)?.Count ?? 0)
            + (owners.Contains((s.OrganizationUid, s.OwnerUserUid)) && !ownerAssigned.Any(o => o.StackUid == s.Uid && o.UserUid == s.OwnerUserUid) ? 1 : 0));
    }

    private static async Task<HashSet<(string, string)>> OwnersWhoAreMembersAsync(OrgstackDbContext db, IReadOnlyList<Stack> stacks, CancellationToken ct)
    {
        var ownerUids = stacks.Select(s => s.OwnerUserUid).Distinct().ToList();
        var organizationUids = stacks.Select(s => s.OrganizationUid).Distinct().ToList();
        var rows = await db.Memberships.AsNoTracking()
            .Where(m => m.UserUid != null && ownerUids.Contains(m.UserUid) && organizationUids.Contains(m.OrganizationUid) && m.Status == MembershipStatus.Accepted)
            .Select(m => new { m.OrganizationUid, m.UserUid }).ToListAsync(ct);
        return rows.Select(r => (r.OrganizationUid, r.UserUid!)).ToHashSet();
    }
}

/// <summary>Every stack of an organization, for its Owner and Admins (stack administration; a Member is refused).</summary>
public sealed class ListOrganizationStacks(OrgstackDbContext db, OrgAccess access)
{
    public sealed record Request(string OrganizationUid, int Skip, int Limit, StackSort Sort, bool Descending, string? Typeahead);

    public async Task<Result<(IReadOnlyList<OrganizationStackView> Items, int Count)>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(request.OrganizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        var query = db.Stacks.AsNoTracking().Where(s => s.OrganizationUid == request.OrganizationUid);
        if (!string.IsNullOrWhiteSpace(request.Typeahead))
        {
            var text = request.Typeahead.Trim().ToLower();
            query = query.Where(s => s.Name.ToLower().Contains(text));
        }
        var count = await query.CountAsync(ct);
        var stacks = await Order(query, request.Sort, request.Descending).Skip(request.Skip).Take(Math.Clamp(request.Limit, 1, 100)).ToListAsync(ct);
        var ownerUids = stacks.Select(s => s.OwnerUserUid).Distinct().ToList();
        var owners = await db.Users.AsNoTracking().Where(u => ownerUids.Contains(u.Uid)).ToDictionaryAsync(u => u.Uid, ct);
        var counts = await StackUsers.UserCountsAsync(db, stacks, ct);
        return (stacks.Select(s => new OrganizationStackView(s, owners.GetValueOrDefault(s.OwnerUserUid), counts[s.Uid])).ToList(), count);
    }

    internal static IQueryable<Stack> Order(IQueryable<Stack> query, StackSort sort, bool descending) => (sort, descending) switch
    {
        (StackSort.CreatedAt, false) => query.OrderBy(s => s.CreatedAt).ThenBy(s => s.Uid),
        (StackSort.CreatedAt, true) => query.OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Uid),
        (StackSort.UpdatedAt, false) => query.OrderBy(s => s.UpdatedAt).ThenBy(s => s.Uid),
        (StackSort.UpdatedAt, true) => query.OrderByDescending(s => s.UpdatedAt).ThenByDescending(s => s.Uid),
        (_, false) => query.OrderBy(s => s.Name).ThenBy(s => s.Uid),
        (_, true) => query.OrderByDescending(s => s.Name).ThenByDescending(s => s.Uid),
    };
}

/// <summary>
/// The stacks the caller reaches (owns or holds a role in) across their organizations, optionally of one
/// organization. Organization Owners and Admins see here only the stacks they reach; the organization's stack list
/// shows them all.
/// </summary>
public sealed class ListMyStacks(OrgstackDbContext db)
{
    public sealed record Request(string? OrganizationUid, int Skip, int Limit, StackSort Sort, bool Descending, string? Typeahead);

    public async Task<Result<(IReadOnlyList<StackView> Items, int Count)>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var memberships = db.Memberships.AsNoTracking().Where(m => m.UserUid == actor.UserUid && m.Status == MembershipStatus.Accepted
            && db.Organizations.Any(o => o.Uid == m.OrganizationUid && o.Enabled));
        if (request.OrganizationUid is not null) memberships = memberships.Where(m => m.OrganizationUid == request.OrganizationUid);
        var query = db.Stacks.AsNoTracking().Where(s => memberships.Any(m => m.OrganizationUid == s.OrganizationUid
            && (s.OwnerUserUid == actor.UserUid || db.StackRoleAssignments.Any(a => a.StackUid == s.Uid && a.MembershipUid == m.Uid))));
        if (!string.IsNullOrWhiteSpace(request.Typeahead))
        {
            var text = request.Typeahead.Trim().ToLower();
            query = query.Where(s => s.Name.ToLower().Contains(text));
        }
        var count = await query.CountAsync(ct);
        var stacks = await ListOrganizationStacks.Order(query, request.Sort, request.Descending)
            .Skip(request.Skip).Take(Math.Clamp(request.Limit, 1, 100)).ToListAsync(ct);
        var users = await StackUsers.UserUidsAsync(db, stacks, ct);
        return (stacks.Select(s => new StackView(s, users[s.Uid])).ToList(), count);
    }
}

/// <summary>One stack by api_key, for those who reach it; optionally with its users and their roles.</summary>
public sealed class GetStack(OrgstackDbContext db, StackAccess access)
{
    public async Task<Result<(StackView Stack, IReadOnlyList<StackUserView>? Users)>> HandleAsync(string? apiKey, bool includeUsers, Actor actor, CancellationToken ct)
    {
        var caller = await access.ReachAsync(apiKey, actor, ct);
        if (!caller.IsSuccess) return caller.Error!;
        var stack = caller.Value.Stack;
        var users = await ListStackUsers.UsersAsync(db, stack, ct);
        return (new StackView(stack, users.Select(u => u.User.Uid).ToList()), includeUsers ? users : null);
    }
}

/// <summary>The users of a stack (its owner and everybody with a role in it), for those who reach it.</summary>
public sealed class ListStackUsers(OrgstackDbContext db, StackAccess access)
{
    /// <summary>A stack's users are listed whole, as Contentstack does; a stack's team is bounded by its organization's plan.</summary>
    public const int MaxUsers = 10_000;

    public async Task<Result<(Stack Stack, IReadOnlyList<StackUserView> Users)>> HandleAsync(string? apiKey, Actor actor, CancellationToken ct)
    {
        var caller = await access.ReachAsync(apiKey, actor, ct);
        if (!caller.IsSuccess) return caller.Error!;
        return (caller.Value.Stack, await UsersAsync(db, caller.Value.Stack, ct));
    }

    internal static async Task<IReadOnlyList<StackUserView>> UsersAsync(OrgstackDbContext db, Stack stack, CancellationToken ct)
    {
        var rows = await (from m in StackUsers.Of(db, stack)
                          join u in db.Users.AsNoTracking() on m.UserUid equals u.Uid
                          orderby m.SortName, m.Uid
                          select new { m, u }).Take(MaxUsers).ToListAsync(ct);
        var membershipUids = rows.Select(r => r.m.Uid).ToList();
        var roles = await (from a in db.StackRoleAssignments.AsNoTracking()
                           join r in db.StackRoles.AsNoTracking() on a.RoleUid equals r.Uid
                           where a.StackUid == stack.Uid && membershipUids.Contains(a.MembershipUid)
                           select new { a.MembershipUid, Role = r }).ToListAsync(ct);
        return rows.Select(r => new StackUserView(r.m, r.u, r.u.Uid == stack.OwnerUserUid,
            roles.Where(x => x.MembershipUid == r.m.Uid).Select(x => x.Role).OrderBy(x => x.Name, StringComparer.Ordinal).ToList())).ToList();
    }
}

/// <summary>Reads the org filter of GET /stacks: <c>query={"org_uid":"…"}</c> (other keys are ignored).</summary>
public static class StackListQuery
{
    public static Result<string?> OrganizationFilter(string? queryJson)
    {
        if (string.IsNullOrWhiteSpace(queryJson)) return (string?)null;
        try
        {
            using var document = JsonDocument.Parse(queryJson);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return Error.Validation("stack.query_invalid", "query must be a JSON object such as {\"org_uid\":\"…\"}.", "query");
            if (!document.RootElement.TryGetProperty("org_uid", out var org) || org.ValueKind == JsonValueKind.Null) return (string?)null;
            if (org.ValueKind != JsonValueKind.String)
                return Error.Validation("stack.query_invalid", "query.org_uid must be a string.", "query");
            return org.GetString();
        }
        catch (JsonException)
        {
            return Error.Validation("stack.query_invalid", "query must be a JSON object such as {\"org_uid\":\"…\"}.", "query");
        }
    }
}
