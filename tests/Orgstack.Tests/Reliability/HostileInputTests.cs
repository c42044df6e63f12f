using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using Xunit.Abstractions;

namespace Orgstack.Tests.Reliability;

/// <summary>
/// Hostile input for every /v3 endpoint that takes a body, route parameters or query parameters, sent by the Owner
/// (who passes every authorization check, so validation is what answers): malformed JSON, wrong types, oversized
/// bodies, very long and unicode strings, injection strings, invalid emails and uids. Each must be a 4xx in the error
/// shape, and the database must be unchanged (row counts and a checksum of every table; rate-limit counters and
/// session last-use times are excluded, they count requests by design).
/// </summary>
public sealed class HostileInputTests(AppFactory app, ITestOutputHelper output) : HostileInputSuite<AppFactory>(app, output);

/// <summary>The same hostile inputs with the server on PostgreSQL.</summary>
public sealed class HostileInputOnPostgresTests(PgAppFactory app, ITestOutputHelper output) : HostileInputSuite<PgAppFactory>(app, output);

public abstract class HostileInputSuite<TFactory>(TFactory app, ITestOutputHelper output) : ProviderSuite<TFactory>(app, output)
    where TFactory : AppFactory
{
    private sealed record Target(string Method, string Path, string? Body, bool Key = false, string[]? Ids = null);

    /// <summary>String leaves that identify something (emails, uids, tokens): a hostile value there is always refused.</summary>
    private static readonly string[] Hostile =
    [
        "' OR '1'='1", "1; DROP TABLE users;--", "<script>alert(1)</script>", "a\r\nBcc: victim@evil.test", "=HYPERLINK(\"http://evil.test\")",
        "", " ", "\u0000", "ünïcødé-without-at", "a@b", "@example.test", "no-at-sign", new string('x', 5000), "../../etc/passwd", "%00", "blt0000000000000000",
    ];

    private static readonly string[] Malformed =
    [
        "{", "{\"a\":", "[1,2", "{\"user\":}", "nul", "{'single':'quotes'}", "{\"a\":1,}", "\u00ff\u00fe", new string('[', 200) + new string(']', 200),
    ];

    private static readonly JsonNode[] WrongTypes = [JsonValue.Create(123), new JsonArray(), new JsonObject(), JsonValue.Create(true)];

    private static IEnumerable<Target> Targets(ReliabilityWorld w, string share, string role, string log)
    {
        var org = w.OrgUid;
        var member = OrgRoles.UidFor(org, OrgRole.Member);
        var dev = w.Stack.Roles["Developer"];
        yield return new("POST", "/v3/user-session", """{"user":{"email":"@id","password":"x"}}""");
        yield return new("PUT", "/v3/user", """{"user":{"first_name":"@text","last_name":"@text","company":"@text"}}""");
        yield return new("POST", "/v3/user/change_password", """{"user":{"current_password":"@id","password":"@text","password_confirmation":"@text"}}""");
        yield return new("POST", "/v3/user/forgot_password", """{"user":{"email":"@find"}}""");
        yield return new("POST", "/v3/user/reset_password", """{"user":{"reset_password_token":"@id","password":"@text","password_confirmation":"@text"}}""");
        yield return new("POST", "/v3/user/activate/{token}", """{"user":{"first_name":"@text","last_name":"@text","password":"@text","password_confirmation":"@text"}}""", Ids: ["bogus"]);
        yield return new("POST", "/v3/user/two_factor/confirm", """{"code":"@id"}""");
        yield return new("POST", "/v3/user/two_factor/disable", """{"code":"@id"}""");
        yield return new("POST", "/v3/user/two_factor/reset", """{"token":"@id","password":"@text"}""");
        yield return new("GET", "/v3/organizations/{org}", null, Ids: [org]);
        yield return new("GET", "/v3/organizations/{org}/roles", null, Ids: [org]);
        yield return new("GET", "/v3/organizations/{org}/logs", null, Ids: [org]);
        yield return new("GET", "/v3/organizations/{org}/logs/{log}", null, Ids: [org, log]);
        yield return new("GET", "/v3/organizations/{org}/plan", null, Ids: [org]);
        yield return new("GET", "/v3/organizations/{org}/users/export.csv", null, Ids: [org]);
        yield return new("GET", "/v3/organizations/{org}/stacks", null, Ids: [org]);
        yield return new("POST", "/v3/organizations/{org}/share", "{\"share\":{\"users\":{\"@id\":[\"" + member + "\"]}}}", Ids: [org]);
        yield return new("POST", "/v3/organizations/{org}/share", "{\"share\":{\"users\":{\"new-invitee@example.test\":[\"@id\"]}}}", Ids: [org]);
        yield return new("POST", "/v3/organizations/{org}/share", "{\"share\":{\"users\":{\"new-invitee@example.test\":[\"" + member + "\"]},\"stacks\":{\"new-invitee@example.test\":{\"@id\":[\"" + dev + "\"]}}}}", Ids: [org]);
        yield return new("GET", "/v3/organizations/{org}/share", null, Ids: [org]);
        yield return new("POST", "/v3/organizations/{org}/share/search", """{"emails":["@find"]}""", Ids: [org]);
        yield return new("DELETE", "/v3/organizations/{org}/share", """{"emails":["@id"]}""", Ids: [org]);
        yield return new("GET", "/v3/organizations/{org}/share/{share}/resend_invitation", null, Ids: [org, share]);
        yield return new("GET", "/v3/organizations/{org}/{share}/resend_invitation", null, Ids: [org, share]);
        yield return new("PUT", "/v3/organizations/{org}/share/{share}", """{"share":{"org_roles":["@id"]}}""", Ids: [org, share]);
        yield return new("DELETE", "/v3/organizations/{org}/share/{share}", null, Ids: [org, share]);
        foreach (var action in new[] { "unlock", "reset_password", "reset_mfa", "sign_out" })
            yield return new("POST", $"/v3/organizations/{{org}}/users/{action}", """{"users":["@find"]}""", Ids: [org]);
        yield return new("GET", "/v3/organizations/invitations/{token}", null, Ids: ["bogus"]);
        yield return new("POST", "/v3/organizations/invitations/accept", """{"token":"@id","user":{"first_name":"@text","last_name":"@text","password":"@text"}}""");
        yield return new("POST", "/v3/organizations/{org}/transfer-ownership", """{"transfer_to":"@id"}""", Ids: [org]);
        yield return new("DELETE", "/v3/organizations/{org}/transfer-ownership", null, Ids: [org]);
        yield return new("POST", "/v3/organizations/ownership/accept", """{"token":"@id"}""");
        yield return new("POST", "/v3/stacks", """{"stack":{"name":"@text"}}""", Key: false);
        yield return new("PUT", "/v3/stacks", """{"stack":{"name":"@text"}}""", Key: true);
        yield return new("DELETE", "/v3/stacks", null, Key: true);
        yield return new("GET", "/v3/stacks", null, Key: true);
        yield return new("GET", "/v3/stacks/users", null, Key: true);
        yield return new("POST", "/v3/stacks/users/roles", """{"users":{"@id":["@id"]}}""", Key: true);
        yield return new("POST", "/v3/stacks/share", """{"emails":["@id"],"roles":{"@id":["@id"]}}""", Key: true);
        yield return new("POST", "/v3/stacks/unshare", """{"email":"@id"}""", Key: true);
        yield return new("GET", "/v3/roles", null, Key: true);
        yield return new("GET", "/v3/roles/{role}", null, Key: true, Ids: [role]);
        yield return new("POST", "/v3/roles", """{"role":{"name":"@text","rules":[{"module":"@id","branches":["@id"],"acl":{"read":true}}]}}""", Key: true);
        yield return new("PUT", "/v3/roles/{role}", """{"role":{"name":"@text","rules":[{"module":"@id"}]}}""", Key: true, Ids: [role]);
        yield return new("DELETE", "/v3/roles/{role}", null, Key: true, Ids: [role]);
    }

    /// <summary>Lookup: a value that is searched for (a filter, a per-user bulk action, forgot-password) may answer 2xx with
    /// "nothing found"; it must still never be a 5xx nor change anything.</summary>
    private sealed record Attempt(string Label, string Method, string Path, string? Body, string? ContentType, Dictionary<string, string> Headers, bool Lookup = false);

    private static IEnumerable<Attempt> Attempts(ReliabilityWorld w, Target t)
    {
        var placeholders = System.Text.RegularExpressions.Regex.Matches(t.Path, @"\{\w+\}").Select(m => m.Value).ToList();
        string PathWith(IReadOnlyList<string> ids)
        {
            var path = t.Path;
            for (var i = 0; i < placeholders.Count; i++) path = path.Replace(placeholders[i], Uri.EscapeDataString(ids[i]));
            return path;
        }
        var ids = t.Ids ?? [];
        var headers = new Dictionary<string, string>();
        if (t.Key) headers["api_key"] = w.Stack.ApiKey;
        if (t.Method == "POST" && t.Path == "/v3/stacks") headers["organization_uid"] = w.OrgUid;
        var path = PathWith(ids);

        // Route parameters and the api_key header.
        for (var i = 0; i < placeholders.Count; i++)
            foreach (var bad in Hostile.Where(h => h.Trim().Length > 0 && h != "\u0000"))
            {
                var changed = ids.ToArray();
                changed[i] = bad;
                yield return new($"param {placeholders[i]}={Short(bad)}", t.Method, PathWith(changed), Valid(t.Body), "application/json", headers);
            }
        if (t.Key)
            foreach (var bad in Hostile.Where(h => h.Trim().Length > 0 && !h.Contains('\r') && !h.Contains('\u0000') && h.All(c => c < 128)))
                yield return new($"api_key={Short(bad)}", t.Method, path, Valid(t.Body), "application/json", new Dictionary<string, string>(headers) { ["api_key"] = bad });

        // Query parameters of lists.
        // Query parameters of paged lists (other endpoints ignore query strings, as unknown parameters are ignored).
        if (t.Method == "GET" && (path.EndsWith("/logs") || path.EndsWith("/share") || path.EndsWith("/stacks") && path.Contains("/organizations/") || path == "/v3/roles"))
            foreach (var query in new[] { "skip=-1", "skip=abc", "limit=-5", "limit=abc", "skip=99999999999999999999", "limit=1e9" }
                         .Concat(path.EndsWith("/logs") ? ["from=not-a-date", "to=%3Cscript%3E", "query=%7B", "query=%5B1%5D"] : []))
                yield return new($"query {query}", "GET", path + "?" + query, null, null, headers);

        if (t.Body is null) yield break;

        foreach (var raw in Malformed) yield return new($"malformed {Short(raw)}", t.Method, path, raw, "application/json", headers);
        // An empty object is a valid search (everyone); any other root shape is refused everywhere.
        foreach (var root in WrongTypes.Where(r => !(r is JsonObject && t.Path.EndsWith("/share/search")))) yield return new($"root {root.ToJsonString()}", t.Method, path, root.ToJsonString(), "application/json", headers);
        yield return new("no content type", t.Method, path, Valid(t.Body), null, headers);
        yield return new("text/plain", t.Method, path, Valid(t.Body), "text/plain", headers);
        yield return new("3 MB body", t.Method, path, "{\"pad\":\"" + new string('a', 3 * 1024 * 1024) + "\"}", "application/json", headers);

        // Each string leaf: wrong types; identifiers: hostile strings; text: too long.
        var template = JsonNode.Parse(t.Body)!;
        var leaves = Leaves(template).ToList();
        for (var i = 0; i < leaves.Count; i++)
        {
            foreach (var wrong in WrongTypes)
                yield return new($"leaf {i} = {wrong.ToJsonString()}", t.Method, path, Replace(t.Body, i, wrong.DeepClone(), keyAs: "123"), "application/json", headers);
            if (leaves[i] is "@id" or "@find")
                foreach (var bad in Hostile)
                    yield return new($"leaf {i} = {Short(bad)}", t.Method, path, Replace(t.Body, i, JsonValue.Create(bad), keyAs: bad), "application/json", headers,
                        Lookup: leaves[i] == "@find");
            else
                yield return new($"leaf {i} = 100k chars", t.Method, path, Replace(t.Body, i, JsonValue.Create(new string('é', 100_000)), keyAs: null), "application/json", headers);
        }
    }

    /// <summary>The template with every placeholder filled with an invalid but well-typed value.</summary>
    private static string Valid(string? body) => body is null ? "{}" : body.Replace("\"@id\"", "\"nobody-here@example.test\"").Replace("\"@find\"", "\"nobody-here@example.test\"").Replace("\"@text\"", "\"x\"");

    private static IEnumerable<string> Leaves(JsonNode node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o)
                {
                    if (k.StartsWith('@')) yield return k;
                    if (v is not null) foreach (var l in Leaves(v)) yield return l;
                }
                break;
            case JsonArray a:
                foreach (var v in a) if (v is not null) foreach (var l in Leaves(v)) yield return l;
                break;
            case JsonValue value when value.TryGetValue<string>(out var s) && s.StartsWith('@'):
                yield return s;
                break;
        }
    }

    /// <summary>Replaces the index-th placeholder (a value, or a key: then by keyAs) and fills the others validly.</summary>
    private static string Replace(string body, int index, JsonNode replacement, string? keyAs)
    {
        var root = JsonNode.Parse(body)!;
        var counter = 0;
        JsonNode Walk(JsonNode node)
        {
            switch (node)
            {
                case JsonObject o:
                    var copy = new JsonObject();
                    foreach (var (k, v) in o.ToList())
                    {
                        var key = k;
                        if (k.StartsWith('@')) key = counter++ == index ? keyAs ?? "x" : k is "@id" or "@find" ? "nobody-here@example.test" : "x";
                        copy[key] = v is null ? null : Walk(v.DeepClone());
                    }
                    return copy;
                case JsonArray a:
                    return new JsonArray(a.Select(v => v is null ? null : Walk(v.DeepClone())).ToArray());
                case JsonValue value when value.TryGetValue<string>(out var s) && s.StartsWith('@'):
                    return counter++ == index ? replacement.DeepClone() : JsonValue.Create(s is "@id" or "@find" ? "nobody-here@example.test" : "x");
                default:
                    return node.DeepClone();
            }
        }
        return Walk(root).ToJsonString();
    }

    private static string Short(string s)
    {
        var t = s.Replace("\r", "\\r").Replace("\n", "\\n").Replace("\u0000", "\\0");
        return t.Length > 24 ? t[..24] + "…" : t;
    }

    [Fact]
    public async Task EveryEndpoint_WithHostileInput_Answers4xxInTheErrorShape_AndChangesNothing()
    {
        var world = await ReliabilityWorld.BuildAsync(App);
        var share = (await App.InviteAsync(world.OrgUid, world.Owner, MembersScenario.Invitee(MembersScenario.Unique("pending"))))[0].Invitation!.Uid;
        var role = (await App.DbAsync(db => db.StackRoles.Where(r => r.StackUid == world.Stack.Uid && r.Name == "Developer").FirstAsync())).Uid;
        var log = await App.DbAsync(db => db.AuditEvents.Where(e => e.OrganizationUid == world.OrgUid).Select(e => e.Uid).FirstAsync());
        await TestWait.UntilAsync(async () => await App.DbAsync(db => db.OutboxMessages.AllAsync(m => m.Status != Orgstack.Core.Mail.OutboxStatus.Pending)));

        var owner = world.Clients[MatrixCaller.Owner];
        var failures = new List<string>();
        var tried = 0;
        var before = await Snapshot();
        foreach (var target in Targets(world, share, role, log))
        {
            foreach (var attempt in Attempts(world, target))
            {
                tried++;
                using var request = new HttpRequestMessage(new HttpMethod(attempt.Method), attempt.Path);
                request.Headers.TryAddWithoutValidation("authtoken", owner.AuthToken);
                foreach (var (k, v) in attempt.Headers) request.Headers.TryAddWithoutValidation(k, v);
                if (attempt.Body is not null)
                {
                    request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(attempt.Body));
                    if (attempt.ContentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", attempt.ContentType);
                }
                using var response = await owner.Http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                var api = new ApiResponse(response.StatusCode, body, response.Content.Headers.ContentType);
                var status = (int)response.StatusCode;
                if (attempt.Lookup && status is >= 200 and < 300) continue;
                if (status is < 400 or >= 500 || !api.IsErrorShape())
                    failures.Add($"{target.Method} {target.Path} [{attempt.Label}]: {status} {(body.Length > 160 ? body[..160] : body)}");
            }
            var after = await Snapshot();
            var changed = after.Where(p => !before.TryGetValue(p.Key, out var v) || v != p.Value).Select(p => p.Key).ToList();
            if (changed.Count > 0) failures.Add($"{target.Method} {target.Path}: tables changed: {string.Join(", ", changed)}");
            before = after;
        }
        Output.WriteLine($"Hostile input ({Provider}): {tried} bad inputs tried, {failures.Count} failures.");
        ReliabilityReport.Count($"hostile inputs tried ({Provider})", tried);
        Assert.True(failures.Count == 0, $"{failures.Count} of {tried}:\n" + string.Join("\n", failures.Take(150)));
    }

    private async Task<Dictionary<string, string>> Snapshot()
    {
        var all = await App.ReliabilitySnapshotAsync();
        all.Remove("rate_limit_counters");
        all.Remove("sessions");
        return all;
    }
}
