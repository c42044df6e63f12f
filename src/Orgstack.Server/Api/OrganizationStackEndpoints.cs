using Orgstack.Core.Stacks;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Api;

public static class OrganizationStackEndpoints
{
    public static void Map(RouteGroupBuilder v3)
    {
        v3.MapGet("/organizations/{organizationUid}/stacks", async (string organizationUid, HttpContext http, ListOrganizationStacks list, CancellationToken ct) =>
        {
            var (paging, error) = Paging.From(http.Request);
            if (error is not null) return error;
            var (sort, descending) = StackEndpoints.Sort(paging!);
            var result = await list.HandleAsync(new ListOrganizationStacks.Request(organizationUid, paging!.Skip, paging.Limit, sort, descending, paging.Typeahead), http.Actor()!, ct);
            if (!result.IsSuccess) return ApiResults.Error(result.Error!);
            var body = new Dictionary<string, object?> { ["stacks"] = result.Value.Items.Select(StackWire.OrganizationStack).ToList() };
            if (paging.IncludeCount) body["count"] = result.Value.Count;
            return Results.Json(body);
        }).RequireSession().WithTags("Organizations")
          .WithSummary("Every stack of the organization, with its owner and number of users (Owner and Admin).");
    }
}
