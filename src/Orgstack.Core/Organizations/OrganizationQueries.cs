using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;

namespace Orgstack.Core.Organizations;

public sealed record OrganizationView(Organization Organization, OrgRole CallerRole, bool TransferPending);

/// <summary>The organizations the caller belongs to (at most 100 a page: a client pages with skip).</summary>
public sealed class ListMyOrganizations(OrgstackDbContext db)
{
    public sealed record Request(int Skip, int Limit, bool Descending, string? Typeahead);

    public async Task<Result<(IReadOnlyList<OrganizationView> Items, int Count)>> HandleAsync(Request request, Actor actor, CancellationToken ct)
    {
        var query = from m in db.Memberships.AsNoTracking()
                    join o in db.Organizations.AsNoTracking() on m.OrganizationUid equals o.Uid
                    where m.UserUid == actor.UserUid && m.Status == MembershipStatus.Accepted && o.Enabled
                    select new { o, m.Role };
        if (!string.IsNullOrWhiteSpace(request.Typeahead))
        {
            var text = request.Typeahead.Trim().ToLower();
            query = query.Where(x => x.o.Name.ToLower().Contains(text));
        }
        var count = await query.CountAsync(ct);
        var ordered = request.Descending ? query.OrderByDescending(x => x.o.Name).ThenBy(x => x.o.Uid) : query.OrderBy(x => x.o.Name).ThenBy(x => x.o.Uid);
        var rows = await ordered.Skip(request.Skip).Take(Math.Clamp(request.Limit, 1, 100)).ToListAsync(ct);
        var uids = rows.Select(r => r.o.Uid).ToList();
        var pending = await db.OwnershipTransfers.AsNoTracking()
            .Where(t => uids.Contains(t.OrganizationUid) && t.Status == TransferStatus.Pending).Select(t => t.OrganizationUid).ToListAsync(ct);
        return (rows.Select(r => new OrganizationView(r.o, r.Role, pending.Contains(r.o.Uid))).ToList(), count);
    }
}

/// <summary>One organization of the caller's.</summary>
public sealed class GetOrganization(OrgAccess access)
{
    public async Task<Result<OrganizationView>> HandleAsync(string organizationUid, Actor actor, CancellationToken ct)
    {
        // One statement: membership, organization and pending transfer come with the access check.
        var grant = await access.GrantAsync(organizationUid, actor, ct);
        if (!grant.IsSuccess) return grant.Error!;
        return new OrganizationView(grant.Value.Organization, grant.Value.Membership.Role, grant.Value.TransferPending);
    }
}
