using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Api;

public static class UserEndpoints
{
    public static void Map(RouteGroupBuilder v3)
    {
        v3.MapGet("/user", async (HttpContext http, UserDirectory users, CancellationToken ct) =>
        {
            // The request knows only a few of the user's fields (SessionTokens.SignedIn): this answer shows the account.
            if (await users.UserAsync(http.Actor()!.UserUid, ct) is not { } user) return ApiResults.Error(Core.Common.CommonErrors.NotSignedIn);
            var organizations = await users.OrganizationsAsync(user.Uid, Paging.Flag(http.Request, "include_orgs_roles"), ct);
            return Results.Json(new { user = Wire.User(user, SessionAuthentication.TokenFrom(http.Request), organizations) });
        }).RequireSession().WithTags("User").WithSummary("The signed-in user, with organizations (and org_roles with include_orgs_roles=true).");
    }
}

/// <summary>The organization entries of a user object.</summary>
public sealed class UserDirectory(OrgstackDbContext db)
{
    public Task<Core.Accounts.User?> UserAsync(string userUid, CancellationToken ct) =>
        db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Uid == userUid, ct);

    public async Task<IReadOnlyList<Dictionary<string, object?>>> OrganizationsAsync(string userUid, bool includeRoles, CancellationToken ct)
    {
        var rows = await (from m in db.Memberships.AsNoTracking()
                          join o in db.Organizations.AsNoTracking() on m.OrganizationUid equals o.Uid
                          where m.UserUid == userUid && m.Status == MembershipStatus.Accepted && o.Enabled
                          orderby o.Name, o.Uid
                          select new { o, m.Role }).Take(100).ToListAsync(ct);
        return rows.Select(r => Wire.Organization(new OrganizationView(r.o, r.Role, false), includeRoles)).ToList();
    }
}
