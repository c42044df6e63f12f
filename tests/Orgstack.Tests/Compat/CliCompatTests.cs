using Microsoft.EntityFrameworkCore;
using System.Globalization;
using Orgstack.Core.Organizations;
using Orgstack.Tests.Support;
using Xunit.Abstractions;

namespace Orgstack.Tests.Compat;

/// <summary>
/// The official Contentstack CLI (csdx from @contentstack/cli, pinned in tests/compat) against the real server:
/// region, login and the organization users CSV export (contentstack-cma.md §7 and §8.3).
/// The CLI always speaks HTTPS to a hostname; setup B of the contract is used: the region names https://cs-local:PORT and
/// HTTPS_PROXY points at the plain-HTTP Kestrel, which accepts the absolute-form requests axios then sends. HOME, the
/// CLI config (CS_CLI_CONFIG_PATH) and the working directory are per-test temporary folders; stdin is closed.
/// </summary>
public sealed class CliCompatTests(CompatServer server, ITestOutputHelper output) : IClassFixture<CompatServer>
{
    private AppFactory App => server.App;

    private static readonly string[] CsvHeader = ["Email", "User UID", "Organization Role", "Status", "Invited By", "Created Time", "Updated Time"];

    [Fact]
    public async Task Csdx_ExportUsersAsOwner_ListsEveryMemberAndInvitation()
    {
        var org = await App.NewOrganizationAsync("Csv Owner");
        var admin = await App.Member(org, org.Email("ada.admin"), OrgRole.Admin).Named("Ada", "Admin").AddAsync();
        var members = new List<Person> { admin };
        foreach (var name in new[] { "bo", "cleo", "dan", "eve" })
            members.Add(await App.Member(org, org.Email(name)).Named(name, "Member").InvitedBy(admin.UserUid).AddAsync());
        var pending = new[] { org.Email("pending.one"), org.Email("pending.two") };
        foreach (var email in pending) await App.Member(org, email).Pending().AddAsync();

        var csv = await ExportUsersAsync(org, org.OwnerEmail);

        var rows = csv.ToDictionary(r => r[0]);
        Assert.Equal(1 + members.Count + pending.Length, rows.Count);
        Assert.Equal(("Owner", "accepted"), (rows[org.OwnerEmail][2], rows[org.OwnerEmail][3]));
        Assert.Equal(org.OwnerUid, rows[org.OwnerEmail][1]);
        Assert.Equal("admin", rows[admin.Email][2]);
        foreach (var m in members.Skip(1))
        {
            Assert.Equal((m.UserUid, "member", "accepted"), (rows[m.Email][1], rows[m.Email][2], rows[m.Email][3]));
            Assert.Equal(admin.Email, rows[m.Email][4]);
        }
        foreach (var email in pending)
        {
            Assert.Equal(("member", "pending"), (rows[email][2], rows[email][3]));
            Assert.Equal(org.OwnerEmail, rows[email][4]);
        }
        var today = DateTime.UtcNow.ToString("MM/dd/yyyy", CultureInfo.InvariantCulture);
        Assert.All(rows.Values, r => Assert.Equal((today, today), (r[5], r[6])));
    }

    [Fact]
    public async Task Csdx_ExportUsersAsAdmin_PagesThroughMoreThanOnePage_AndListsEveryone()
    {
        var org = await App.NewOrganizationAsync("Csv Admin");
        var admin = await App.Member(org, org.Email("exporting.admin"), OrgRole.Admin).Named("Exporting", "Admin").AddAsync();
        var bulk = await App.AddManyMembersAsync(org, 130, OrgRole.Member);
        var pending = await App.Member(org, org.Email("pending"), OrgRole.Admin).Pending().AddAsync();
        Assert.NotNull(pending);

        var csv = await ExportUsersAsync(org, admin.Email);

        var emails = csv.Select(r => r[0]).ToList();
        Assert.Equal(emails.Count, emails.Distinct().Count());
        var expected = bulk.Concat([org.OwnerEmail, admin.Email, org.Email("pending")]).Order().ToList();
        Assert.Equal(expected, emails.Order().ToList());
        Assert.Equal("Owner", csv.Single(r => r[0] == org.OwnerEmail)[2]);
        Assert.Equal("admin", csv.Single(r => r[0] == org.Email("pending"))[2]);
    }

    [Fact]
    public async Task Csdx_LoginRateLimitWhoamiLogout_ReadsThePlanAndRevokesTheSession()
    {
        var org = await App.NewOrganizationAsync("Csv Plan");
        var csdx = await SignedInAsync(org.OwnerEmail);

        var rateLimit = await csdx.RunAsync("config:set:rate-limit", "--org", org.Uid);
        Assert.Contains("Rate limit has been set successfully", rateLimit.Stdout);
        Assert.Contains("getLimit: 100", rateLimit.Stdout);
        Assert.Contains("limit: 10", rateLimit.Stdout);
        var whoami = await csdx.RunAsync("auth:whoami");
        Assert.Contains(org.OwnerEmail, whoami.Stdout);
        var live = () => App.WithDbAsync(db => db.Sessions.CountAsync(s => s.UserUid == org.OwnerUid && s.RevokedAt == null));
        Assert.Equal(1, await live());

        await csdx.RunAsync("auth:logout", "--yes");

        Assert.Equal(0, await live());
    }

    [Fact]
    public async Task Csdx_LoginWithWrongPassword_FailsWithTheServersMessage()
    {
        var org = await App.NewOrganizationAsync("Csv Wrong");
        var csdx = await CsdxSession.StartAsync(server, output);

        var login = await csdx.RunAsync(["auth:login", "-u", org.OwnerEmail, "-p", "not the password at all"], expectSuccess: false);

        // csdx 1.60.1 exits 0 here; it prints the server's error (error_message and errors) and stores no token.
        Assert.Contains("password: is not valid", login.Stdout + login.Stderr);
        Assert.DoesNotContain("Successfully logged in", login.Stdout + login.Stderr);
        var whoami = await csdx.RunAsync(["auth:whoami"], expectSuccess: false);
        Assert.DoesNotContain(org.OwnerEmail, whoami.Stdout);
    }

    [Fact]
    public async Task Csdx_LoginWithMfaSecretInEnvironment_SignsInWithoutPrompting()
    {
        var org = await App.NewOrganizationAsync("Csv MFA");
        var secret = await App.CompatEnrollTotpAsync(org.OwnerUid, org.OwnerEmail);
        var csdx = await CsdxSession.StartAsync(server, output);

        // stdin is closed: a prompt for the code would fail the login.
        var login = await csdx.RunAsync(["auth:login", "-u", org.OwnerEmail, "-p", Scenario.Password],
            expectSuccess: true, new Dictionary<string, string> { ["CONTENTSTACK_MFA_SECRET"] = secret });

        Assert.Contains("Successfully logged in", login.Stdout + login.Stderr);
        var whoami = await csdx.RunAsync("auth:whoami");
        Assert.Contains(org.OwnerEmail, whoami.Stdout);
        var live = await App.WithDbAsync(db => db.Sessions.CountAsync(s => s.UserUid == org.OwnerUid && s.RevokedAt == null));
        Assert.Equal(1, live);
    }

    [Fact]
    public async Task Csdx_LoginWithWrongMfaSecret_LoopsOnTheSameCodeUntilRateLimited_AndCountsOneFailure()
    {
        var org = await App.NewOrganizationAsync("Csv MFA wrong");
        await App.CompatEnrollTotpAsync(org.OwnerUid, org.OwnerEmail);
        var wrongSecret = Orgstack.Core.Security.Base32.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
        var csdx = await CsdxSession.StartAsync(server, output);

        var login = await csdx.RunAsync(["auth:login", "-u", org.OwnerEmail, "-p", Scenario.Password],
            expectSuccess: false, new Dictionary<string, string> { ["CONTENTSTACK_MFA_SECRET"] = wrongSecret });

        // csdx 1.60.1 (cli-auth auth-handler.js): on 294 with a token already given it re-sends the same token, without
        // end, until another error; here the per-account sign-in limit (429) ends it. The identical retries count once.
        var text = login.Stdout + login.Stderr;
        Assert.DoesNotContain("Successfully logged in", text);
        Assert.Contains("Two-factor authentication failed", text);
        Assert.Contains("Too many requests", text);
        var user = await App.WithDbAsync(db => db.Users.SingleAsync(u => u.Uid == org.OwnerUid));
        Assert.Equal((1, (DateTimeOffset?)null), (user.FailedAttempts, user.LockedAt));
        Assert.Equal(0, await App.WithDbAsync(db => db.Sessions.CountAsync(s => s.UserUid == org.OwnerUid)));
    }

    private async Task<CsdxSession> SignedInAsync(string email)
    {
        var csdx = await CsdxSession.StartAsync(server, output);
        var login = await csdx.RunAsync("auth:login", "-u", email, "-p", Scenario.Password);
        Assert.Contains("Successfully logged in", login.Stdout + login.Stderr);
        return csdx;
    }

    /// <summary>Signs in and runs cm:export-to-csv --action users; returns the CSV rows (header checked).</summary>
    private async Task<List<string[]>> ExportUsersAsync(CompatSeed.Org org, string email)
    {
        var csdx = await SignedInAsync(email);
        var export = await csdx.RunAsync("cm:export-to-csv", "--action", "users", "--org", org.Uid);

        var dataDir = Path.Combine(csdx.WorkDirectory, "data");
        var files = Directory.Exists(dataDir) ? Directory.GetFiles(dataDir, "*_users_export.csv") : [];
        Assert.True(files.Length == 1, $"expected one ./data/*_users_export.csv, found {files.Length}.\n{export.Describe()}");
        var lines = Csv.Parse(await File.ReadAllTextAsync(files[0]));
        Assert.True(lines.Count > 0, "the CLI wrote an empty CSV (it ends its paging silently on an API error).\n" + export.Describe());
        Assert.Equal(CsvHeader, lines[0]);
        Assert.All(lines.Skip(1), r => Assert.Equal(CsvHeader.Length, r.Length));
        Assert.DoesNotContain(lines.Skip(1), r => r.Any(c => c.Contains("NaN", StringComparison.Ordinal) || c == "undefined"));
        return lines.Skip(1).ToList();
    }
}

/// <summary>
/// One csdx "installation": its own HOME, CLI config (CS_CLI_CONFIG_PATH) and working directory, with the region set to
/// https://cs-local:PORT and HTTPS_PROXY pointing at the plain-HTTP Kestrel (contentstack-cma.md §8.3 setup B).
/// </summary>
public sealed class CsdxSession
{
    private readonly CompatServer server;
    private readonly ITestOutputHelper output;
    private readonly string home;
    private readonly string config;

    private CsdxSession(CompatServer server, ITestOutputHelper output)
    {
        this.server = server;
        this.output = output;
        var root = server.TempDirectory("csdx");
        home = Directory.CreateDirectory(Path.Combine(root, "home")).FullName;
        config = Directory.CreateDirectory(Path.Combine(root, "config")).FullName;
        WorkDirectory = Directory.CreateDirectory(Path.Combine(root, "work")).FullName;
    }

    public string WorkDirectory { get; }

    public static async Task<CsdxSession> StartAsync(CompatServer server, ITestOutputHelper output)
    {
        if (server.InstallNote is { } note) output.WriteLine(note);
        var session = new CsdxSession(server, output);
        var region = $"https://cs-local:{server.Port}";
        await session.RunAsync("config:set:region", "--cma", region, "--cda", region, "--ui-host", region, "--name", "orgstack-local");
        return session;
    }

    public Task<ChildProcess.Outcome> RunAsync(params string[] args) => RunAsync(args, expectSuccess: true);

    public async Task<ChildProcess.Outcome> RunAsync(string[] args, bool expectSuccess, IReadOnlyDictionary<string, string>? environment = null)
    {
        var outcome = await ChildProcess.RunAsync(CompatPackages.Node, [CompatPackages.CsdxScript, .. args], WorkDirectory, env =>
        {
            env["HOME"] = home;
            env["XDG_CONFIG_HOME"] = Path.Combine(home, ".config");
            env["XDG_DATA_HOME"] = Path.Combine(home, ".local", "share");
            env["XDG_CACHE_HOME"] = Path.Combine(home, ".cache");
            env["CS_CLI_CONFIG_PATH"] = config;
            // Every request, including the CLI's version check against registry.npmjs.org, goes to the local server.
            env["HTTPS_PROXY"] = server.BaseUrl;
            env["CI"] = "true";
            env["TZ"] = "UTC";
            foreach (var (key, value) in environment ?? new Dictionary<string, string>()) env[key] = value;
        }, TimeSpan.FromMinutes(2));
        output.WriteLine($"csdx {args[0]}: exit {outcome.ExitCode}, {outcome.Elapsed.TotalSeconds:F1} s");
        if (expectSuccess && (outcome.ExitCode != 0 || outcome.TimedOut))
            Assert.Fail($"csdx {args[0]} failed.\n{outcome.Describe()}");
        if (outcome.TimedOut) Assert.Fail($"csdx {args[0]} timed out.\n{outcome.Describe()}");
        return outcome;
    }
}

/// <summary>A minimal RFC 4180 reader for the CLI's output (quoted fields, doubled quotes, CRLF or LF).</summary>
public static class Csv
{
    public static List<string[]> Parse(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(field.ToString()); field.Clear(); }
            else if (c is '\r' or '\n')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                row.Add(field.ToString()); field.Clear();
                rows.Add(row.ToArray()); row.Clear();
            }
            else field.Append(c);
        }
        if (field.Length > 0 || row.Count > 0) { row.Add(field.ToString()); rows.Add(row.ToArray()); }
        return rows;
    }
}
