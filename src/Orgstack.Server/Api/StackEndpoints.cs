using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Stacks;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Api;

/// <summary>
/// /v3/stacks: list, fetch, create, update, delete, users, user roles, share and unshare. The stack is selected by the
/// <c>api_key</c> header (also read from the query string, as Contentstack's accept-ownership link does).
/// </summary>
public static class StackEndpoints
{
    public static void Map(RouteGroupBuilder v3)
    {
        var stacks = v3.MapGroup("/stacks").RequireSession().WithTags("Stacks");

        stacks.MapGet("/", async (HttpContext http, GetStack get, ListMyStacks list, CancellationToken ct) =>
        {
            var apiKey = ApiKey(http.Request);
            if (apiKey is not null)
            {
                var includeUsers = Paging.Flag(http.Request, "include_collaborators");
                var result = await get.HandleAsync(apiKey, includeUsers, http.Actor()!, ct);
                if (!result.IsSuccess) return ApiResults.Error(result.Error!);
                var stack = StackWire.Stack(result.Value.Stack.Stack, result.Value.Stack.UserUids);
                if (result.Value.Users is { } users) stack["collaborators"] = users.Select(StackWire.StackUser).ToList();
                // Orgstack keeps no stack variables; the objects are there so clients that read them find them.
                if (Paging.Flag(http.Request, "include_stack_variables")) stack["stack_variables"] = new Dictionary<string, object?>();
                if (Paging.Flag(http.Request, "include_discrete_variables")) stack["discrete_variables"] = new Dictionary<string, object?>();
                stack["global_search"] = true;
                return Results.Json(new { stack });
            }

            var (paging, error) = Paging.From(http.Request);
            if (error is not null) return error;
            var filter = StackListQuery.OrganizationFilter(http.Request.Query["query"].ToString());
            if (!filter.IsSuccess) return ApiResults.Error(filter.Error!);
            var page = paging!;
            var (sort, descending) = Sort(page);
            // The SDK names the organization in the header and in query={"org_uid":…}; both given and different match nothing.
            var header = Header(http.Request, "organization_uid");
            var conflicting = header is not null && filter.Value is not null && header != filter.Value;
            var found = conflicting
                ? ([], 0)
                : (await list.HandleAsync(new ListMyStacks.Request(header ?? filter.Value, page.Skip, page.Limit, sort, descending, page.Typeahead), http.Actor()!, ct)).Value;
            if (Paging.Flag(http.Request, "count")) return Results.Json(new { stacks = found.Count });
            var body = new Dictionary<string, object?> { ["stacks"] = found.Items.Select(v => StackWire.Stack(v.Stack, v.UserUids)).ToList() };
            if (page.IncludeCount) body["count"] = found.Count;
            return Results.Json(body);
        }).WithSummary("With an api_key header: that stack (include_collaborators=true adds its users). Without: the stacks the caller reaches.");

        stacks.MapPost("/", async ([FromBody] JsonObject? body, HttpContext http, CreateStack create, CancellationToken ct) =>
        {
            var fields = BodyFields.Wrapped(body, "stack", out var error);
            if (error is not null) return error;
            if (!BodyFields.TryString(fields, "name", out var name, out error, "stack.name")
                || !BodyFields.TryString(fields, "description", out var description, out error, "stack.description")
                || !BodyFields.TryString(fields, "master_locale", out var locale, out error, "stack.master_locale")) return error!;
            var organizationUid = Header(http.Request, "organization_uid") ?? Nonempty(http.Request.Query["organization_uid"].ToString());
            var result = await create.HandleAsync(new CreateStack.Request(organizationUid, name, description, locale), http.Actor()!, ct);
            return ApiResults.From(result, s => new { notice = "Stack created successfully.", stack = StackWire.Stack(s, [s.OwnerUserUid]) }, StatusCodes.Status201Created);
        }).WithSummary("Creates a stack in the organization named by the organization_uid header or query parameter (Owner and Admin).");

        stacks.MapPut("/", async ([FromBody] JsonObject? body, HttpContext http, UpdateStack update, CancellationToken ct) =>
        {
            var fields = BodyFields.Wrapped(body, "stack", out var error);
            if (error is not null) return error;
            if (!BodyFields.TryString(fields, "name", out var name, out error, "stack.name")
                || !BodyFields.TryString(fields, "description", out var description, out error, "stack.description")
                || !BodyFields.TryString(fields, "master_locale", out var locale, out error, "stack.master_locale")) return error!;
            var result = await update.HandleAsync(new UpdateStack.Request(ApiKey(http.Request), name, description, locale), http.Actor()!, ct);
            return ApiResults.From(result, v => new { notice = "Stack updated successfully.", stack = StackWire.Stack(v.Stack, v.UserUids) });
        }).WithSummary("Renames a stack or changes its description; read-only fields are ignored, a master_locale change is refused.");

        stacks.MapDelete("/", async (HttpContext http, DeleteStack delete, CancellationToken ct) =>
        {
            var result = await delete.HandleAsync(ApiKey(http.Request), http.Actor()!, ct);
            return ApiResults.From(result, _ => new { notice = "Stack deleted successfully!" });
        }).WithSummary("Deletes the stack permanently with its roles and role assignments (organization Owner and Admin).");

        stacks.MapGet("/users", async (HttpContext http, ListStackUsers users, CancellationToken ct) =>
        {
            var result = await users.HandleAsync(ApiKey(http.Request), http.Actor()!, ct);
            return ApiResults.From(result, r => new { users = r.Users.Select(StackWire.StackUser).ToList() });
        }).WithSummary("The stack's users: its owner and everybody holding a role in it.");

        stacks.MapPost("/users/roles", async ([FromBody] JsonObject? body, HttpContext http, SetStackUserRoles set, CancellationToken ct) =>
        {
            if (!BodyFields.TryStringLists(body?["users"], "users", out var users, out var error)) return error!;
            var result = await set.HandleAsync(new SetStackUserRoles.Request(ApiKey(http.Request), users), http.Actor()!, ct);
            return ApiResults.From(result, r => new
            {
                notice = "The roles were applied successfully.",
                users = r.Select(u => new { uid = u.UserUid, roles = u.Roles.Select(x => x.Uid).ToList() }).ToList(),
            });
        }).WithSummary("Replaces the stack roles of members, by user uid: {\"users\":{\"<user_uid>\":[\"<role_uid>\"]}}.");

        stacks.MapPost("/share", async ([FromBody] JsonObject? body, HttpContext http, ShareStack share, CancellationToken ct) =>
        {
            if (!BodyFields.TryStrings(body?["emails"], "emails", out var emails, out var error)
                || !BodyFields.TryStringLists(body?["roles"], "roles", out var roles, out error)) return error!;
            var result = await share.HandleAsync(new ShareStack.Request(ApiKey(http.Request), emails, roles), http.Actor()!, ct);
            if (!result.IsSuccess) return ApiResults.Error(result.Error!);
            var answer = new Dictionary<string, object?>
            {
                ["notice"] = "The invitation has been sent successfully.",
                ["shares"] = result.Value.Shared.Select(s => new Dictionary<string, object?>
                {
                    ["email"] = s.Email,
                    ["user_uid"] = s.Membership.UserUid,
                    ["status"] = s.Membership.Status.ToString().ToLowerInvariant(),
                    ["roles"] = s.Roles.Select(r => r.Uid).ToList(),
                }).ToList(),
            };
            if (result.Value.Errors.Count > 0) answer["errors"] = result.Value.Errors;
            return Results.Json(answer);
        }).WithSummary("Shares the stack with members of its organization: {\"emails\":[…],\"roles\":{\"<email>\":[\"<role_uid>\"]}}.");

        stacks.MapPost("/unshare", async ([FromBody] JsonObject? body, HttpContext http, UnshareStack unshare, CancellationToken ct) =>
        {
            if (!BodyFields.TryString(body, "email", out var email, out var error)) return error!;
            var result = await unshare.HandleAsync(ApiKey(http.Request), email, http.Actor()!, ct);
            return ApiResults.From(result, _ => new { notice = "The stack has been successfully unshared." });
        }).WithSummary("Removes every role the named person holds in the stack.");
    }

    /// <summary>The stack api key: the <c>api_key</c> header, else the <c>api_key</c> query parameter.</summary>
    public static string? ApiKey(HttpRequest request) => Header(request, "api_key") ?? Nonempty(request.Query["api_key"].ToString());

    private static string? Header(HttpRequest request, string name) =>
        request.Headers.TryGetValue(name, out var value) ? Nonempty(value.ToString()) : null;

    private static string? Nonempty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    internal static (StackSort Sort, bool Descending) Sort(Paging paging)
    {
        var field = paging.Desc ?? paging.Asc;
        var sort = field switch
        {
            "created_at" => StackSort.CreatedAt,
            "updated_at" => StackSort.UpdatedAt,
            _ => StackSort.Name,
        };
        return (sort, paging.Desc is not null);
    }
}
