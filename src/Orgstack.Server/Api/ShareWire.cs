using System.Text.Json;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Server.Api;

/// <summary>A membership as Contentstack's "share", and the reading of share request bodies.</summary>
public static class ShareWire
{
    public static Dictionary<string, object?> Share(Membership m, IReadOnlyList<MemberStackRoles>? stacks = null, string? invitedByEmail = null, bool includeUserDetails = false)
    {
        var body = new Dictionary<string, object?>
        {
            ["uid"] = m.Uid,
            ["email"] = m.Email,
            ["user_uid"] = m.UserUid,
            ["message"] = m.Message ?? "",
            ["org_uid"] = m.OrganizationUid,
            ["org_roles"] = new[] { OrgRoles.ShareRoleUid(m.OrganizationUid, m.Role) },
            ["invited_by"] = m.InvitedByUserUid ?? "System",
            ["invited_at"] = Wire.Time(m.InvitedAt),
            ["status"] = m.Status == MembershipStatus.Accepted ? "accepted" : "pending",
            ["is_owner"] = m.IsOwner,
            ["access_without_sso"] = m.AccessWithoutSso,
            ["first_name"] = m.FirstName,
            ["last_name"] = m.LastName,
            ["last_login_at"] = Wire.Time(m.LastLoginAt),
            ["expires_at"] = Wire.Time(m.InvitationExpiresAt),
            ["stacks"] = (stacks ?? []).Select(s => new Dictionary<string, object?>
            {
                ["api_key"] = s.ApiKey,
                ["name"] = s.StackName,
                ["roles"] = s.RoleUids,
            }).ToList(),
            ["created_at"] = Wire.Time(m.CreatedAt),
            ["updated_at"] = Wire.Time(m.UpdatedAt),
            ["update_at"] = Wire.Time(m.UpdatedAt),
        };
        if (includeUserDetails)
        {
            body["invited_by_email"] = invitedByEmail;
            body["user"] = m.UserUid is null ? null : new Dictionary<string, object?>
            {
                ["uid"] = m.UserUid,
                ["email"] = m.Email,
                ["first_name"] = m.FirstName,
                ["last_name"] = m.LastName,
                ["last_login_at"] = Wire.Time(m.LastLoginAt),
            };
        }
        return body;
    }

    public static Dictionary<string, object?> Share(MemberRow row, bool includeUserDetails) =>
        Share(row.Membership, row.Stacks, row.InvitedByEmail, includeUserDetails);

    /// <summary>
    /// The same object as <see cref="Share(MemberRow, bool)"/>, written straight to a JSON writer: the users list writes up
    /// to a thousand of them, and building a dictionary per row (boxing every value) cost more than reading the rows.
    /// A test holds the two byte for byte.
    /// </summary>
    public static void WriteShare(Utf8JsonWriter json, MemberRow row, bool includeUserDetails)
    {
        var m = row.Membership;
        json.WriteStartObject();
        json.WriteString("uid", m.Uid);
        json.WriteString("email", m.Email);
        WriteNullable(json, "user_uid", m.UserUid);
        json.WriteString("message", m.Message ?? "");
        json.WriteString("org_uid", m.OrganizationUid);
        json.WriteStartArray("org_roles");
        json.WriteStringValue(OrgRoles.ShareRoleUid(m.OrganizationUid, m.Role));
        json.WriteEndArray();
        json.WriteString("invited_by", m.InvitedByUserUid ?? "System");
        json.WriteString("invited_at", Wire.Time(m.InvitedAt));
        json.WriteString("status", m.Status == MembershipStatus.Accepted ? "accepted" : "pending");
        json.WriteBoolean("is_owner", m.IsOwner);
        json.WriteBoolean("access_without_sso", m.AccessWithoutSso);
        json.WriteString("first_name", m.FirstName);
        json.WriteString("last_name", m.LastName);
        WriteNullable(json, "last_login_at", Wire.Time(m.LastLoginAt));
        WriteNullable(json, "expires_at", Wire.Time(m.InvitationExpiresAt));
        json.WriteStartArray("stacks");
        foreach (var stack in row.Stacks)
        {
            json.WriteStartObject();
            json.WriteString("api_key", stack.ApiKey);
            json.WriteString("name", stack.StackName);
            json.WriteStartArray("roles");
            foreach (var role in stack.RoleUids) json.WriteStringValue(role);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        var updated = Wire.Time(m.UpdatedAt);
        json.WriteString("created_at", Wire.Time(m.CreatedAt));
        json.WriteString("updated_at", updated);
        json.WriteString("update_at", updated);
        if (includeUserDetails)
        {
            WriteNullable(json, "invited_by_email", row.InvitedByEmail);
            if (m.UserUid is null) json.WriteNull("user");
            else
            {
                json.WriteStartObject("user");
                json.WriteString("uid", m.UserUid);
                json.WriteString("email", m.Email);
                json.WriteString("first_name", m.FirstName);
                json.WriteString("last_name", m.LastName);
                WriteNullable(json, "last_login_at", Wire.Time(m.LastLoginAt));
                json.WriteEndObject();
            }
        }
        json.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }

    /// <summary>The users list body (<c>{"shares":[…], "count", "next_cursor"}</c>) written as it is produced.</summary>
    public sealed class ListResult(MemberPage page, bool includeUserDetails) : IResult
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "application/json; charset=utf-8";
            await using var json = new Utf8JsonWriter(http.Response.BodyWriter);
            json.WriteStartObject();
            json.WriteStartArray("shares");
            foreach (var row in page.Items) WriteShare(json, row, includeUserDetails);
            json.WriteEndArray();
            if (page.Count is { } count) json.WriteNumber("count", count);
            if (page.NextCursor is { } next) json.WriteString("next_cursor", next);
            json.WriteEndObject();
            await json.FlushAsync(http.RequestAborted);
        }
    }

    /// <summary>Reads a JSON body; an empty body is null. Unreadable JSON answers 400 in the error shape.</summary>
    public static async Task<(JsonElement? Body, IResult? Error)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength == 0) return (null, null);
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(ct);
        if (string.IsNullOrWhiteSpace(text)) return (null, null);
        // A body is JSON only when it says so, as for every other endpoint (the SDK always sends the header).
        if (!request.HasJsonContentType())
            return (null, ApiResults.Error(415, 415, "Please set a valid 'Content-Type' header: application/json."));
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 32 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return (null, ApiResults.Error(400, 400, "The request body must be a JSON object."));
            return (document.RootElement.Clone(), null);
        }
        catch (JsonException)
        {
            return (null, ApiResults.Error(400, 400, "The request body is not valid JSON."));
        }
    }

    public static IResult Invalid(string field, string message) => ApiResults.Error(400, 400, message, new Dictionary<string, string[]> { [field] = ["is not valid."] });

    /// <summary>A list of strings, or one string as a list of one; null when the value has another shape.</summary>
    public static List<string>? Strings(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String) return [value.GetString()!];
        if (value.ValueKind != JsonValueKind.Array) return null;
        var list = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) return null;
            list.Add(item.GetString()!);
        }
        return list;
    }

    /// <summary>
    /// Reads <c>{apiKey: [roleUid]}</c>, merging repeated keys (the .NET SDK can repeat them); null when the shape is wrong.
    /// </summary>
    public static Dictionary<string, IReadOnlyList<string>>? StackRoles(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) return null;
        var merged = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            var roles = Strings(property.Value);
            if (roles is null) return null;
            if (!merged.TryGetValue(property.Name, out var list)) merged[property.Name] = list = [];
            list.AddRange(roles.Where(r => !list.Contains(r)));
        }
        return merged.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal);
    }

    public static bool TryGet(JsonElement? body, string name, out JsonElement value)
    {
        value = default;
        return body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;
    }
}
