using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.Data.Sqlite;

namespace Orgstack.Bench;

/// <summary>
/// The baselines: a bare Kestrel app in the same process, with no authentication, no EF Core and no framework of
/// ours: a no-op JSON endpoint, the users page's SQL through Microsoft.Data.Sqlite serialized with Utf8JsonWriter,
/// the export's rows streamed straight from SQLite to CSV, and one password-hash verify (for sign-in).
/// </summary>
public static class BareServer
{
    public const string PageSql = """
        SELECT uid, email, user_uid, message, role, status, invited_by_user_uid, invited_at, access_without_sso, first_name, last_name,
               last_login_at, invitation_expires_at, created_at, updated_at
        FROM memberships WHERE organization_uid = $org AND {0}
        ORDER BY last_login_at DESC, uid DESC LIMIT 100
        """;

    public const string StacksSql = """
        SELECT a.membership_uid, s.api_key, s.name, a.role_uid FROM stack_role_assignments a JOIN stacks s ON s.uid = a.stack_uid
        WHERE a.membership_uid IN (SELECT value FROM json_each($uids))
        """;

    public const string ExportSql = """
        SELECT m.email, m.first_name, m.last_name, m.role, m.status,
               (SELECT group_concat(s.name || ': ' || r.name, '; ') FROM stack_role_assignments a JOIN stacks s ON s.uid = a.stack_uid
                  JOIN stack_roles r ON r.uid = a.role_uid WHERE a.membership_uid = m.uid),
               (SELECT u.email FROM users u WHERE u.uid = m.invited_by_user_uid), m.invited_at, m.accepted_at, m.last_login_at
        FROM memberships m WHERE m.organization_uid = $org ORDER BY m.email
        """;

    public static async Task<(WebApplication App, string Address)> StartAsync(string databasePath, string url = "http://127.0.0.1:0")
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = true, Mode = SqliteOpenMode.ReadWrite }.ToString();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        var app = builder.Build();

        app.MapGet("/noop", () => Results.Json(new { ok = true, name = "noop" }));

        // The raw password-hash rate at the server's default settings (PBKDF2-HMAC-SHA512, Orgstack:Passwords:Iterations):
        // one PasswordHasher verify per request, for measuring sign-in from outside (bench/outside.py).
        var hasher = new PasswordHasher<object>(Options.Create(new PasswordHasherOptions
        {
            CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV3,
            IterationCount = new Orgstack.Core.Common.OrgstackOptions().Passwords.Iterations,
        }));
        const string password = "Correct-Horse-Battery-9";
        var hash = hasher.HashPassword(new object(), password);
        app.MapPost("/hash", () => Results.Json(new { ok = hasher.VerifyHashedPassword(new object(), hash, password) == PasswordVerificationResult.Success }));

        app.MapGet("/users/{org}", async (string org, string? key, string? uid, HttpContext http) =>
        {
            await using var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = string.Format(CultureInfo.InvariantCulture, PageSql, key is null ? "last_login_at IS NOT NULL" : key.Length == 0 ? "last_login_at IS NULL AND uid < $uid" : "last_login_at <= $key AND (last_login_at < $key OR uid < $uid)");
            command.Parameters.AddWithValue("$org", org);
            if (key is not null)
            {
                if (key.Length > 0) command.Parameters.AddWithValue("$key", long.Parse(key, CultureInfo.InvariantCulture));
                command.Parameters.AddWithValue("$uid", uid ?? "");
            }
            var rows = new List<object?[]>(100);
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync())
                {
                    var row = new object?[reader.FieldCount];
                    reader.GetValues(row);
                    rows.Add(row);
                }
            var stacks = new Dictionary<string, List<(string ApiKey, string Name, string Role)>>();
            await using (var roles = connection.CreateCommand())
            {
                roles.CommandText = StacksSql;
                roles.Parameters.AddWithValue("$uids", JsonSerializer.Serialize(rows.Select(r => (string)r[0]!)));
                await using var reader = await roles.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    var member = reader.GetString(0);
                    if (!stacks.TryGetValue(member, out var list)) stacks[member] = list = [];
                    list.Add((reader.GetString(1), reader.GetString(2), reader.GetString(3)));
                }
            }
            http.Response.ContentType = "application/json; charset=utf-8";
            await using var json = new Utf8JsonWriter(http.Response.BodyWriter);
            json.WriteStartObject();
            json.WriteStartArray("shares");
            foreach (var r in rows)
            {
                json.WriteStartObject();
                json.WriteString("uid", (string)r[0]!);
                json.WriteString("email", (string)r[1]!);
                WriteNullable(json, "user_uid", r[2] as string);
                json.WriteString("message", r[3] as string ?? "");
                json.WriteString("org_uid", org);
                json.WriteStartArray("org_roles");
                json.WriteStringValue((string)r[4]!);
                json.WriteEndArray();
                json.WriteString("invited_by", r[6] as string ?? "System");
                json.WriteString("invited_at", Time(r[7]));
                json.WriteString("status", ((string)r[5]!).ToLowerInvariant());
                json.WriteBoolean("is_owner", (string)r[4]! == "Owner");
                json.WriteBoolean("access_without_sso", (long)r[8]! != 0);
                json.WriteString("first_name", (string)r[9]!);
                json.WriteString("last_name", (string)r[10]!);
                WriteNullable(json, "last_login_at", r[11] is long ? Time(r[11]) : null);
                WriteNullable(json, "expires_at", r[12] is long ? Time(r[12]) : null);
                json.WriteStartArray("stacks");
                if (stacks.TryGetValue((string)r[0]!, out var held))
                    foreach (var s in held)
                    {
                        json.WriteStartObject();
                        json.WriteString("api_key", s.ApiKey);
                        json.WriteString("name", s.Name);
                        json.WriteStartArray("roles");
                        json.WriteStringValue(s.Role);
                        json.WriteEndArray();
                        json.WriteEndObject();
                    }
                json.WriteEndArray();
                json.WriteString("created_at", Time(r[13]));
                json.WriteString("updated_at", Time(r[14]));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            if (rows.Count == 100) json.WriteString("next", $"{rows[^1][11]}|{rows[^1][0]}");
            json.WriteEndObject();
            await json.FlushAsync();
        });

        app.MapGet("/export/{org}", async (string org, HttpContext http) =>
        {
            http.Response.ContentType = "text/csv; charset=utf-8";
            await using var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = ExportSql;
            command.Parameters.AddWithValue("$org", org);
            await using var reader = await command.ExecuteReaderAsync();
            await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false), 64 * 1024);
            await writer.WriteAsync("Email,First Name,Last Name,Organization Role,Status,Stack Roles,Invited By,Invited At,Accepted At,Last Login At\r\n");
            var line = new StringBuilder(256);
            while (await reader.ReadAsync())
            {
                line.Clear();
                for (var i = 0; i < 10; i++)
                {
                    if (i > 0) line.Append(',');
                    if (reader.IsDBNull(i)) continue;
                    Field(line, i >= 7 ? Time(reader.GetInt64(i)) : reader.GetString(i));
                }
                line.Append("\r\n");
                await writer.WriteAsync(line);
            }
        });

        await app.StartAsync();
        return (app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }

    private static string Time(object? unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds((long)unixMs!).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>RFC 4180 quoting and formula neutralising, as the real export does.</summary>
    private static void Field(StringBuilder line, string value)
    {
        var neutral = value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r';
        var quote = neutral || value.AsSpan().IndexOfAny(",\"\r\n") >= 0;
        if (!quote)
        {
            line.Append(value);
            return;
        }
        line.Append('"');
        if (neutral) line.Append('\'');
        line.Append(value.Replace("\"", "\"\"", StringComparison.Ordinal));
        line.Append('"');
    }
}
