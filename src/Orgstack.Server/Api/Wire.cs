using Orgstack.Core.Accounts;
using Orgstack.Core.Organizations;

namespace Orgstack.Server.Api;

/// <summary>Entity → Contentstack wire shapes. Times are ISO 8601 UTC with milliseconds, as the real API writes them.</summary>
public static class Wire
{
    /// <summary>
    /// "yyyy-MM-ddTHH:mm:ss.fffZ" in UTC, written digit by digit: a users page writes five times per row, and a custom
    /// format string is parsed again on every call (a test holds this to the format string's output).
    /// </summary>
    public static string Time(DateTimeOffset value) => string.Create(24, value.UtcDateTime, static (span, t) =>
    {
        Digits(span, t.Year, 4);
        span[4] = '-';
        Digits(span[5..], t.Month, 2);
        span[7] = '-';
        Digits(span[8..], t.Day, 2);
        span[10] = 'T';
        Digits(span[11..], t.Hour, 2);
        span[13] = ':';
        Digits(span[14..], t.Minute, 2);
        span[16] = ':';
        Digits(span[17..], t.Second, 2);
        span[19] = '.';
        Digits(span[20..], t.Millisecond, 3);
        span[23] = 'Z';
    });

    private static void Digits(Span<char> span, int value, int count)
    {
        for (var i = count - 1; i >= 0; i--)
        {
            span[i] = (char)('0' + value % 10);
            value /= 10;
        }
    }

    public static string? Time(DateTimeOffset? value) => value is { } v ? Time(v) : null;

    public static Dictionary<string, object?> User(User user, string? authtoken, IReadOnlyList<Dictionary<string, object?>> organizations) => new()
    {
        ["uid"] = user.Uid,
        ["created_at"] = Time(user.CreatedAt),
        ["updated_at"] = Time(user.UpdatedAt),
        ["email"] = user.Email,
        ["username"] = user.Email,
        ["first_name"] = user.FirstName,
        ["last_name"] = user.LastName,
        ["company"] = user.Company,
        ["org_uid"] = organizations.Where(o => o["is_owner"] is true).Select(o => o["uid"]).ToList(),
        ["shared_org_uid"] = organizations.Where(o => o["is_owner"] is not true).Select(o => o["uid"]).ToList(),
        ["active"] = user.Active,
        ["failed_attempts"] = user.FailedAttempts,
        ["tfa_status"] = user.TotpEnabled ? "verified" : "unverified",
        ["last_login_at"] = Time(user.LastLoginAt),
        ["authtoken"] = authtoken,
        ["organizations"] = organizations,
    };

    public static Dictionary<string, object?> Organization(OrganizationView view, bool includeRoles = false, bool includePlan = false, long? users = null, long? stacks = null)
    {
        var o = view.Organization;
        var body = new Dictionary<string, object?>
        {
            ["uid"] = o.Uid,
            ["name"] = o.Name,
            ["plan_id"] = o.PlanId,
            ["expires_on"] = Time(o.PlanExpiresAt),
            ["enabled"] = o.Enabled,
            ["is_over_usage_allowed"] = false,
            ["created_at"] = Time(o.CreatedAt),
            ["updated_at"] = Time(o.UpdatedAt),
            ["owner"] = view.CallerRole == Core.Organizations.OrgRole.Owner,
            ["is_owner"] = view.CallerRole == Core.Organizations.OrgRole.Owner,
            ["is_transfer_set"] = view.TransferPending,
        };
        if (includeRoles) body["org_roles"] = new[] { Role(o.Uid, view.CallerRole == Core.Organizations.OrgRole.Member ? Core.Organizations.OrgRole.Member : Core.Organizations.OrgRole.Admin, o.CreatedAt) };
        if (includePlan) body["plan"] = Plan(o, view.CallerRole, users, stacks);
        return body;
    }

    /// <summary>
    /// <see cref="Organization"/> without roles or plan, written with a JSON writer: GET organization answers on nearly
    /// every SDK call, and the dictionary shape is serialized polymorphically (bench/README.md). A test holds the two byte
    /// for byte.
    /// </summary>
    public static void WriteOrganization(System.Text.Json.Utf8JsonWriter json, OrganizationView view)
    {
        var o = view.Organization;
        var owner = view.CallerRole == Core.Organizations.OrgRole.Owner;
        json.WriteStartObject();
        json.WriteString("uid", o.Uid);
        json.WriteString("name", o.Name);
        json.WriteString("plan_id", o.PlanId);
        if (Time(o.PlanExpiresAt) is { } expires) json.WriteString("expires_on", expires);
        else json.WriteNull("expires_on");
        json.WriteBoolean("enabled", o.Enabled);
        json.WriteBoolean("is_over_usage_allowed", false);
        json.WriteString("created_at", Time(o.CreatedAt));
        json.WriteString("updated_at", Time(o.UpdatedAt));
        json.WriteBoolean("owner", owner);
        json.WriteBoolean("is_owner", owner);
        json.WriteBoolean("is_transfer_set", view.TransferPending);
        json.WriteEndObject();
    }

    /// <summary><see cref="Role"/> (without users) written with a JSON writer; a test holds the two byte for byte.</summary>
    public static void WriteRole(System.Text.Json.Utf8JsonWriter json, string organizationUid, OrgRole role, DateTimeOffset createdAt)
    {
        var at = Time(createdAt);
        json.WriteStartObject();
        json.WriteString("uid", OrgRoles.UidFor(organizationUid, role));
        json.WriteString("name", OrgRoles.NameOf(role));
        json.WriteString("description", RoleDescription(role));
        json.WriteString("org_uid", organizationUid);
        json.WriteBoolean("admin", role != Core.Organizations.OrgRole.Member);
        json.WriteBoolean("default", true);
        json.WriteString("created_at", at);
        json.WriteString("updated_at", at);
        json.WriteString("update_at", at);
        json.WriteEndObject();
    }

    private static string RoleDescription(OrgRole role) => role == Core.Organizations.OrgRole.Admin
        ? "Admins manage users, stacks and settings of the organization."
        : "Members reach only the stacks they were given roles in.";

    /// <summary>
    /// A small 200 answer written by a JSON writer into a buffer and sent with its Content-Length, in one write that
    /// Kestrel sends when the request ends: no chunked encoding, so no separate closing chunk (one TCP segment less per
    /// answer for the server and the client to handle).
    /// </summary>
    public sealed class Written<T>(T state, Action<System.Text.Json.Utf8JsonWriter, T> write) : IResult
    {
        // One buffer and writer per thread, reused: the answer is built and copied out without an await in between.
        [ThreadStatic] private static System.Buffers.ArrayBufferWriter<byte>? buffer;
        [ThreadStatic] private static System.Text.Json.Utf8JsonWriter? writer;

        public Task ExecuteAsync(HttpContext http)
        {
            var bytes = buffer ??= new System.Buffers.ArrayBufferWriter<byte>(1024);
            bytes.ResetWrittenCount();
            var json = writer ??= new System.Text.Json.Utf8JsonWriter(bytes);
            json.Reset(bytes);
            write(json, state);
            json.Flush();
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "application/json; charset=utf-8";
            http.Response.ContentLength = bytes.WrittenCount;
            System.Buffers.BuffersExtensions.Write(http.Response.BodyWriter, bytes.WrittenSpan);
            return Task.CompletedTask;
        }
    }

    public static Dictionary<string, object?> Role(string organizationUid, OrgRole role, DateTimeOffset createdAt, IReadOnlyList<string>? users = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["uid"] = OrgRoles.UidFor(organizationUid, role),
            ["name"] = OrgRoles.NameOf(role),
            ["description"] = RoleDescription(role),
            ["org_uid"] = organizationUid,
            ["admin"] = role != Core.Organizations.OrgRole.Member,
            ["default"] = true,
            ["created_at"] = Time(createdAt),
            ["updated_at"] = Time(createdAt),
            ["update_at"] = Time(createdAt),
        };
        if (users is not null) body["users"] = users;
        return body;
    }

    public static Dictionary<string, object?> Plan(Organization o, OrgRole callerRole, long? users, long? stacks)
    {
        var plan = new Dictionary<string, object?>
        {
            ["plan_id"] = o.PlanId,
            ["name"] = o.PlanName,
            ["message"] = "",
            ["price"] = callerRole == Core.Organizations.OrgRole.Owner ? "" : null,
            ["expires_on"] = Time(o.PlanExpiresAt),
            ["features"] = new object[]
            {
                Feature("users", "Users", o.MaxUsers, users),
                Feature("stacks", "Stacks", o.MaxStacks, stacks),
                Feature("getLimit", "GET requests per second", 100, null),
                Feature("limit", "API requests per second", 10, null),
                Feature("bulkLimit", "Bulk requests per second", 1, null),
            },
            ["created_at"] = Time(o.CreatedAt),
            ["updated_at"] = Time(o.UpdatedAt),
        };
        return plan;
    }

    private static Dictionary<string, object?> Feature(string uid, string name, int limit, long? used) => new()
    {
        ["uid"] = uid,
        ["name"] = name,
        ["limit"] = limit,
        ["max_limit"] = limit,
        ["enabled"] = true,
        ["used"] = used,
    };
}
