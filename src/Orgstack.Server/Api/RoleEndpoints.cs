using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Orgstack.Core.Stacks;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Api;

/// <summary>/v3/roles: the roles of the stack selected by the api_key header.</summary>
public static class RoleEndpoints
{
    public static void Map(RouteGroupBuilder v3)
    {
        var roles = v3.MapGroup("/roles").RequireSession().WithTags("Stack roles");

        roles.MapGet("/", async (HttpContext http, ListStackRoles list, CancellationToken ct) =>
        {
            var (paging, error) = Paging.From(http.Request);
            if (error is not null) return error;
            var name = NameFilter(http.Request.Query["query"].ToString(), out error);
            if (error is not null) return error;
            var result = await list.HandleAsync(new ListStackRoles.Request(StackEndpoints.ApiKey(http.Request), name, paging!.Skip, paging.Limit), http.Actor()!, ct);
            if (!result.IsSuccess) return ApiResults.Error(result.Error!);
            var includeRules = IncludeRules(http.Request);
            var body = new Dictionary<string, object?> { ["roles"] = result.Value.Items.Select(r => StackWire.Role(r, includeRules)).ToList() };
            if (paging.IncludeCount) body["count"] = result.Value.Count;
            return Results.Json(body);
        }).WithSummary("The stack's roles; include_rules=true adds their rules; query={\"name\":\"…\"} filters by name.");

        roles.MapGet("/{roleUid}", async (string roleUid, HttpContext http, GetStackRole get, CancellationToken ct) =>
        {
            var result = await get.HandleAsync(StackEndpoints.ApiKey(http.Request), roleUid, http.Actor()!, ct);
            return ApiResults.From(result, r => new { role = StackWire.Role(r, IncludeRules(http.Request)) });
        }).WithSummary("One role of the stack.");

        roles.MapPost("/", async ([FromBody] JsonObject? body, HttpContext http, CreateStackRole create, CancellationToken ct) =>
        {
            var fields = BodyFields.Wrapped(body, "role", out var error);
            if (error is not null) return error;
            if (!BodyFields.TryString(fields, "name", out var name, out error, "role.name")
                || !BodyFields.TryString(fields, "description", out var description, out error, "role.description")) return error!;
            var result = await create.HandleAsync(new CreateStackRole.Request(StackEndpoints.ApiKey(http.Request), name, description, fields!["rules"]), http.Actor()!, ct);
            return ApiResults.From(result, r => new { notice = "The role created successfully.", role = StackWire.Role(r, includeRules: true) }, StatusCodes.Status201Created);
        }).WithSummary("Creates a custom role: {\"role\":{\"name\",\"description\",\"rules\":[{\"module\":…}]}}.");

        roles.MapPut("/{roleUid}", async (string roleUid, [FromBody] JsonObject? body, HttpContext http, UpdateStackRole update, CancellationToken ct) =>
        {
            var fields = BodyFields.Wrapped(body, "role", out var error);
            if (error is not null) return error;
            if (!BodyFields.TryString(fields, "name", out var name, out error, "role.name")
                || !BodyFields.TryString(fields, "description", out var description, out error, "role.description")) return error!;
            var rulesGiven = fields!.TryGetPropertyValue("rules", out var rules);
            var result = await update.HandleAsync(new UpdateStackRole.Request(StackEndpoints.ApiKey(http.Request), roleUid, name, description, rules, rulesGiven), http.Actor()!, ct);
            return ApiResults.From(result, r => new { notice = "The role updated successfully.", role = StackWire.Role(r, includeRules: true) });
        }).WithSummary("Changes a custom role; built-in roles cannot be changed.");

        roles.MapDelete("/{roleUid}", async (string roleUid, HttpContext http, DeleteStackRole delete, CancellationToken ct) =>
        {
            var result = await delete.HandleAsync(StackEndpoints.ApiKey(http.Request), roleUid, http.Actor()!, ct);
            return ApiResults.From(result, _ => new { notice = "The role deleted successfully." });
        }).WithSummary("Deletes a custom role that nobody holds; built-in roles cannot be deleted.");
    }

    private static bool IncludeRules(HttpRequest request) => Paging.Flag(request, "include_rules") || Paging.Flag(request, "include_permissions");

    private static string? NameFilter(string? query, out IResult? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(query)) return null;
        try
        {
            if (JsonNode.Parse(query) is not JsonObject obj) throw new JsonException();
            if (!BodyFields.TryString(obj, "name", out var name, out error, "query.name")) return null;
            return name;
        }
        catch (JsonException)
        {
            error = ApiResults.Invalid("query", "query must be a JSON object such as {\"name\":\"Developer\"}.");
            return null;
        }
    }
}
