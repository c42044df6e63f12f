using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Stacks;

namespace Orgstack.Core.Invitations;

/// <summary>
/// Resolves stack roles given as api_key → role uids: each stack must belong to the organization and each role to that
/// stack. Loads every named stack and role in two queries, however many addresses share them.
/// </summary>
public sealed class StackGrants
{
    private readonly Dictionary<string, string> stackUidByApiKey;
    private readonly HashSet<(string StackUid, string RoleUid)> roles;

    private StackGrants(Dictionary<string, string> stacks, HashSet<(string, string)> roles)
    {
        stackUidByApiKey = stacks;
        this.roles = roles;
    }

    public static async Task<StackGrants> LoadAsync(OrgstackDbContext db, string organizationUid,
        IEnumerable<IReadOnlyDictionary<string, IReadOnlyList<string>>?> requests, CancellationToken ct)
    {
        var apiKeys = new HashSet<string>(StringComparer.Ordinal);
        var roleUids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var request in requests)
        {
            if (request is null) continue;
            foreach (var (apiKey, uids) in request)
            {
                apiKeys.Add(apiKey);
                foreach (var uid in uids) roleUids.Add(uid);
            }
        }
        if (apiKeys.Count == 0) return new StackGrants(new(), new());
        var keys = apiKeys.ToList();
        var stacks = await db.Stacks.AsNoTracking().Where(s => s.OrganizationUid == organizationUid && keys.Contains(s.ApiKey))
            .Select(s => new { s.ApiKey, s.Uid }).ToDictionaryAsync(s => s.ApiKey, s => s.Uid, ct);
        var stackUids = stacks.Values.ToList();
        var wanted = roleUids.ToList();
        var found = await db.StackRoles.AsNoTracking().Where(r => stackUids.Contains(r.StackUid) && wanted.Contains(r.Uid))
            .Select(r => new { r.StackUid, r.Uid }).ToListAsync(ct);
        return new StackGrants(stacks, found.Select(r => (r.StackUid, r.Uid)).ToHashSet());
    }

    /// <summary>The assignments for one membership, or the error that refuses them.</summary>
    public Result<List<StackRoleAssignment>> Resolve(IReadOnlyDictionary<string, IReadOnlyList<string>>? request, string membershipUid, DateTimeOffset now)
    {
        var assignments = new List<StackRoleAssignment>();
        if (request is null) return assignments;
        foreach (var (apiKey, uids) in request)
        {
            if (!stackUidByApiKey.TryGetValue(apiKey, out var stackUid)) return MemberErrors.StackNotFound;
            foreach (var roleUid in uids.Distinct(StringComparer.Ordinal))
            {
                if (!roles.Contains((stackUid, roleUid))) return MemberErrors.StackRoleNotFound;
                assignments.Add(new StackRoleAssignment { StackUid = stackUid, MembershipUid = membershipUid, RoleUid = roleUid, CreatedAt = now });
            }
        }
        return assignments;
    }

    public string? StackUidOf(string apiKey) => stackUidByApiKey.GetValueOrDefault(apiKey);
}
