using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Data;

namespace Orgstack.Core.Organizations;

/// <summary>The per-organization write lock every use case takes before it counts or changes an organization's people.</summary>
public static class OrganizationLock
{
    /// <summary>
    /// Serializes writers of one organization: on PostgreSQL the row lock makes parallel invites and transfers queue,
    /// so counts read afterwards are current; on SQLite transactions already take the write lock up front.
    /// </summary>
    public static Task<int> LockAsync(OrgstackDbContext db, string organizationUid, CancellationToken ct) =>
        db.Database.ExecuteSqlInterpolatedAsync($"UPDATE organizations SET updated_at = updated_at WHERE uid = {organizationUid}", ct);
}
