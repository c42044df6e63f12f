using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Api;

public static class OrganizationEndpoints
{
    public static void Map(RouteGroupBuilder v3)
    {
        var organizations = v3.MapGroup("/organizations").RequireSession().WithTags("Organizations");

        organizations.MapGet("/", async (HttpContext http, ListMyOrganizations list, CancellationToken ct) =>
        {
            var (paging, error) = Paging.From(http.Request);
            if (error is not null) return error;
            var result = await list.HandleAsync(new ListMyOrganizations.Request(paging!.Skip, paging.Limit, paging.Desc is not null, paging.Typeahead), http.Actor()!, ct);
            var body = new Dictionary<string, object?> { ["organizations"] = result.Value.Items.Select(v => Wire.Organization(v)).ToList() };
            if (paging.IncludeCount) body["count"] = result.Value.Count;
            return Results.Json(body);
        }).WithSummary("The caller's organizations.");

        organizations.MapGet("/{organizationUid}", async (string organizationUid, HttpContext http, GetOrganization get, CancellationToken ct) =>
        {
            var result = await get.HandleAsync(organizationUid, http.Actor()!, ct);
            if (!result.IsSuccess) return ApiResults.Error(result.Error!);
            var includePlan = Paging.Flag(http.Request, "include_plan");
            // Plan and usage are for the Owner and Admins: a Member asking for them is refused, not silently served.
            if (includePlan && !OrgPermissions.CanAdminister(result.Value.CallerRole)) return ApiResults.Error(Core.Common.CommonErrors.NotAdmin);
            if (!includePlan)
                return new Wire.Written<OrganizationView>(result.Value, static (json, view) =>
                {
                    json.WriteStartObject();
                    json.WritePropertyName("organization");
                    Wire.WriteOrganization(json, view);
                    json.WriteEndObject();
                });
            long? users = null, stacks = null;
            if (includePlan && OrgPermissions.CanAdminister(result.Value.CallerRole))
            {
                // Rented only here: the plain answer reads through the session's statement and needs no context.
                var db = http.RequestServices.GetRequiredService<OrgstackDbContext>();
                users = await db.Memberships.LongCountAsync(m => m.OrganizationUid == organizationUid, ct);
                stacks = await db.Stacks.LongCountAsync(s => s.OrganizationUid == organizationUid, ct);
            }
            return Results.Json(new { organization = Wire.Organization(result.Value, includePlan: includePlan, users: users, stacks: stacks) });
        }).WithSummary("One organization of the caller's; include_plan=true adds the plan.");

        organizations.MapGet("/{organizationUid}/roles", async (string organizationUid, HttpContext http, OrgAccess access, CancellationToken ct) =>
        {
            var grant = await access.GrantAsync(organizationUid, http.Actor()!, ct);
            if (!grant.IsSuccess) return ApiResults.Error(grant.Error!);
            if (!OrgPermissions.CanAdminister(grant.Value.Membership.Role)) return ApiResults.Error(Core.Common.CommonErrors.NotAdmin);
            var includeCount = Paging.Flag(http.Request, "include_count");
            return new Wire.Written<(string Org, DateTimeOffset CreatedAt, bool Count)>((organizationUid, grant.Value.Organization.CreatedAt, includeCount), static (json, s) =>
            {
                json.WriteStartObject();
                json.WriteStartArray("roles");
                Wire.WriteRole(json, s.Org, OrgRole.Admin, s.CreatedAt);
                Wire.WriteRole(json, s.Org, OrgRole.Member, s.CreatedAt);
                json.WriteEndArray();
                if (s.Count) json.WriteNumber("count", 2);
                json.WriteEndObject();
            });
        }).WithSummary("The organization's roles (fixed: admin and member; the Owner is an admin flagged is_owner).");
    }
}
