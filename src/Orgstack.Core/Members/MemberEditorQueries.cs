using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Members;

public sealed record RoleChoice(string Uid, string Name);

public sealed record StackChoice(string ApiKey, string Name, IReadOnlyList<RoleChoice> Roles);

/// <summary>
/// What the console's Invite and Edit user forms offer: every stack of the organization with its roles (Owner and
/// Admins). Read-only; the choices are checked again by InviteMembers and ChangeMemberRoles.
/// </summary>
public sealed class StackRoleCatalogQuery(OrgstackDbContext db, OrgAccess access)
{
    public const int MaxStacks = 1000;

    public async Task<Result<IReadOnlyList<StackChoice>>> HandleAsync(string organizationUid, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(organizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        var stacks = await db.Stacks.AsNoTracking().Where(s => s.OrganizationUid == organizationUid)
            .OrderBy(s => s.Name).ThenBy(s => s.Uid).Take(MaxStacks).Select(s => new { s.Uid, s.ApiKey, s.Name }).ToListAsync(ct);
        var uids = stacks.Select(s => s.Uid).ToList();
        var roles = await db.StackRoles.AsNoTracking().Where(r => uids.Contains(r.StackUid))
            .Select(r => new { r.StackUid, r.Uid, r.Name }).ToListAsync(ct);
        return stacks.Select(s => new StackChoice(s.ApiKey, s.Name, roles.Where(r => r.StackUid == s.Uid)
            .OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase).Select(r => new RoleChoice(r.Uid, r.Name)).ToList())).ToList();
    }
}

public sealed record MemberDetail(Membership Membership, IReadOnlyDictionary<string, IReadOnlyList<string>> StackRoles, bool Locked, bool MfaEnabled);

/// <summary>One member or pending invitation of the organization with its stack roles (api_key → role uids), for the Edit user page.</summary>
public sealed class MemberDetailQuery(OrgstackDbContext db, OrgAccess access)
{
    public async Task<Result<MemberDetail>> HandleAsync(string organizationUid, string shareUid, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(organizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        if (!Ids.LooksValid(shareUid)) return MemberErrors.ShareNotFound;
        var member = await db.Memberships.AsNoTracking().FirstOrDefaultAsync(m => m.Uid == shareUid && m.OrganizationUid == organizationUid, ct);
        if (member is null) return MemberErrors.ShareNotFound;
        var roles = await (from a in db.StackRoleAssignments.AsNoTracking()
                           join s in db.Stacks.AsNoTracking() on a.StackUid equals s.Uid
                           where a.MembershipUid == member.Uid
                           select new { s.ApiKey, a.RoleUid }).ToListAsync(ct);
        var user = member.UserUid is null ? null
            : await db.Users.AsNoTracking().Where(u => u.Uid == member.UserUid).Select(u => new { u.LockedAt, u.TotpEnabled }).FirstOrDefaultAsync(ct);
        return new MemberDetail(member,
            roles.GroupBy(r => r.ApiKey).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(r => r.RoleUid).ToList()),
            user?.LockedAt is not null, user?.TotpEnabled == true);
    }
}
