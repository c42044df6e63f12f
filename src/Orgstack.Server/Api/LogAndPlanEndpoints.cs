using System.Globalization;
using System.Text.Json;
using Orgstack.Core.Audit;
using Orgstack.Core.Plans;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Api;

/// <summary>
/// Organization logs (<c>GET /organizations/{org}/logs</c>, <c>…/logs/{uid}</c>, Contentstack's shape) and plan and usage
/// (<c>GET /organizations/{org}/plan</c>, an Orgstack addition in the same style).
/// </summary>
public static class LogAndPlanEndpoints
{
    public static void Map(RouteGroupBuilder v3)
    {
        var organizations = v3.MapGroup("/organizations/{organizationUid}").RequireSession().WithTags("Organizations");

        organizations.MapGet("/logs", async (string organizationUid, HttpContext http, ListAuditLogs list, CancellationToken ct) =>
        {
            var (paging, error) = Paging.From(http.Request, ListAuditLogs.DefaultLimit, ListAuditLogs.MaxLimit);
            if (error is not null) return error;
            var q = http.Request.Query;
            if (!TryTime(q["from"], out var from)) return ApiResults.Invalid("from", "from must be an ISO 8601 date or time.");
            if (!TryTime(q["to"], out var to)) return ApiResults.Invalid("to", "to must be an ISO 8601 date or time.");
            // Contentstack's CDA-style query={"module":…,"event_type":…,"created_by":…} works too; plain parameters win.
            var (filters, queryError) = QueryFilters(q["query"]);
            if (queryError is not null) return queryError;
            var result = await list.HandleAsync(new ListAuditLogs.Request(organizationUid, paging!.Skip, paging.Limit,
                Text(q["user"]) ?? Text(q["created_by"]) ?? filters.GetValueOrDefault("created_by") ?? filters.GetValueOrDefault("user"),
                Text(q["module"]) ?? filters.GetValueOrDefault("module"),
                Text(q["event_type"]) ?? Text(q["action"]) ?? filters.GetValueOrDefault("event_type"), from, to, paging.IncludeCount), http.Actor()!, ct);
            if (!result.IsSuccess) return ApiResults.Error(result.Error!);
            var body = new Dictionary<string, object?> { ["logs"] = result.Value.Items.Select(Log).ToList() };
            if (result.Value.Count is { } count) body["count"] = count;
            return Results.Json(body);
        }).WithSummary("The organization's audit log, newest first (Owner or Admin). Query: skip, limit (25 by default, at most 100), include_count, user (uid or email), module, event_type (or action), from, to (ISO 8601; to is exclusive).");

        organizations.MapGet("/logs/{logUid}", async (string organizationUid, string logUid, HttpContext http, GetAuditLog get, CancellationToken ct) =>
            ApiResults.From(await get.HandleAsync(organizationUid, logUid, http.Actor()!, ct), e => new { log = Log(e) }))
            .WithSummary("One audit log item (Owner or Admin).");

        organizations.MapGet("/plan", async (string organizationUid, HttpContext http, GetPlanAndUsage get, CancellationToken ct) =>
            ApiResults.From(await get.HandleAsync(organizationUid, http.Actor()!, ct), v => new { plan = Plan(v) }))
            .WithSummary("The organization's plan, limits and usage (Owner or Admin); billing details for the Owner only.");
    }

    private static string? Text(Microsoft.Extensions.Primitives.StringValues value) =>
        string.IsNullOrWhiteSpace(value.ToString()) ? null : value.ToString().Trim();

    private static readonly string[] QueryKeys = ["module", "event_type", "created_by", "user"];

    private static (Dictionary<string, string> Filters, IResult? Error) QueryFilters(Microsoft.Extensions.Primitives.StringValues value)
    {
        var filters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Text(value) is not { } text) return (filters, null);
        var invalid = ApiResults.Invalid("query", "query must be a JSON object whose keys (module, event_type, created_by) have string values.");
        if (text.Length > 2000) return (filters, invalid);
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 4 });
            if (document.RootElement.ValueKind != JsonValueKind.Object) return (filters, invalid);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!QueryKeys.Contains(property.Name) || property.Value.ValueKind != JsonValueKind.String) return (filters, invalid);
                if (property.Value.GetString() is { Length: > 0 } v) filters[property.Name] = v;
            }
            return (filters, null);
        }
        catch (JsonException)
        {
            return (filters, invalid);
        }
    }

    private static bool TryTime(Microsoft.Extensions.Primitives.StringValues value, out DateTimeOffset? time)
    {
        time = null;
        if (Text(value) is not { } text) return true;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)) return false;
        time = parsed.ToUniversalTime();
        return true;
    }

    public static Dictionary<string, object?> Log(AuditEvent e) => new()
    {
        ["uid"] = e.Uid,
        ["org_uid"] = e.OrganizationUid,
        ["created_at"] = Wire.Time(e.CreatedAt),
        ["created_by"] = e.ActorUserUid ?? "system",
        ["created_by_email"] = e.ActorEmail,
        ["module"] = e.Module,
        ["event_type"] = e.EventType,
        ["target"] = new Dictionary<string, object?> { ["type"] = e.TargetType, ["uid"] = e.TargetUid, ["label"] = e.TargetLabel },
        ["metadata"] = ParseMetadata(e.MetadataJson),
        ["remote_addr"] = e.RemoteAddress,
        ["request"] = new Dictionary<string, object?> { ["id"] = e.RequestId },
        ["response"] = new Dictionary<string, object?>(),
    };

    private static JsonElement ParseMetadata(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            using var fallback = JsonDocument.Parse(JsonSerializer.Serialize(new { raw = json }));
            return fallback.RootElement.Clone();
        }
    }

    private static Dictionary<string, object?> Plan(GetPlanAndUsage.View v)
    {
        var o = v.Organization;
        var body = new Dictionary<string, object?>
        {
            ["plan_id"] = o.PlanId,
            ["name"] = o.PlanName,
            ["expires_on"] = Wire.Time(o.PlanExpiresAt),
            ["expired"] = v.Expired,
            ["limits"] = new Dictionary<string, object?> { ["max_users"] = o.MaxUsers, ["max_stacks"] = o.MaxStacks },
            ["usage"] = new Dictionary<string, object?>
            {
                ["users"] = new Dictionary<string, object?>
                {
                    ["used"] = v.Usage.Users, ["limit"] = o.MaxUsers, ["remaining"] = Math.Max(0, o.MaxUsers - v.Usage.Users),
                    ["members"] = v.Usage.Members, ["pending_invitations"] = v.Usage.PendingInvitations,
                },
                ["stacks"] = new Dictionary<string, object?>
                {
                    ["used"] = v.Usage.Stacks, ["limit"] = o.MaxStacks, ["remaining"] = Math.Max(0, o.MaxStacks - v.Usage.Stacks),
                },
            },
            ["org_uid"] = o.Uid,
        };
        if (v.Billing is { } billing)
            body["billing"] = new Dictionary<string, object?> { ["email"] = billing.Email, ["address"] = billing.Address, ["payment_method"] = billing.PaymentMethod };
        return body;
    }
}
