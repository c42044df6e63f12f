using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Orgstack.Core.Common;
using Orgstack.Core.Organizations;
using Orgstack.Core.Seeding;
using Orgstack.Server.Hosting;

namespace Orgstack.Bench;

/// <summary>
/// The performance suite: the real server on Kestrel (loopback) on a seeded SQLite database, and bare baselines in
/// the same process, measured side by side and reported as ratios. See bench/README.md.
/// Usage: dotnet run -c Release --project bench/Orgstack.Bench -- [--members 100000] [--scaling 10000,100000]
///        [--seconds 5] [--workers 16] [--data-dir /tmp/orgstack-bench] [--fresh] [--out results/x.json]
/// </summary>
public static class Program
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>--only page,deep,org,roles,export,invite: run just these measurements (for profiling).</summary>
    private static string[]? Only;

    private static bool Want(string name) => Only is null || Only.Contains(name);

    /// <summary>Workers for the latency check of the users page (p99 &lt; 10 ms).</summary>
    private const int LatencyWorkers = 2;

    public static async Task<int> Main(string[] args)
    {
        // As the server's host does first (AddOrgstack): SQLite's process-wide settings, before this process opens a connection.
        Orgstack.Core.Data.SqliteThreading.Configure();
        if (ArgString(args, "--serve-bare") is { } bareDatabase)
            return await ServeBareAsync(bareDatabase, ArgString(args, "--urls") ?? "http://127.0.0.1:5091");
        var members = Arg(args, "--members", 100_000);
        var scaling = (ArgString(args, "--scaling") ?? "10000,100000").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.Parse(s, Inv)).Append(members).Distinct().Order().ToList();
        var seconds = Arg(args, "--seconds", 5);
        var workers = Arg(args, "--workers", 16);
        var dataRoot = ArgString(args, "--data-dir") ?? Path.Combine(Path.GetTempPath(), "orgstack-bench");
        var fresh = args.Contains("--fresh");
        Only = ArgString(args, "--only")?.Split(',');
        var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd-HHmmss", Inv);
        var output = Path.GetFullPath(ArgString(args, "--out") ?? Path.Combine(ResultsDirectory(), stamp + ".json"));

        Console.WriteLine($"Orgstack bench: {Environment.ProcessorCount} cores, {workers} workers, {seconds} s per measurement, sizes {string.Join(", ", scaling.Select(s => s.ToString("N0", Inv)))}");
        var report = new JsonObject
        {
            ["measured_at"] = DateTimeOffset.UtcNow.ToString("o", Inv),
            ["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}",
            ["workers"] = workers,
            ["seconds"] = seconds,
            ["members"] = members,
        };
        var scalingRows = new JsonArray();
        var failures = new List<string>();
        foreach (var size in scaling)
        {
            var full = size == members;
            var result = await RunSizeAsync(size, full, Path.Combine(dataRoot, size.ToString(Inv)), fresh, workers, seconds, failures);
            if (full) report["main"] = result;
            scalingRows.Add(new JsonObject
            {
                ["members"] = size,
                ["users_page_p50_ms"] = result["users_first_page"]!["api"]!["p50_ms"]!.DeepClone(),
                ["users_page_p99_ms"] = result["users_first_page"]!["api"]!["p99_ms"]!.DeepClone(),
                ["users_page_rps_ratio"] = result["users_first_page"]!["ratio"]!.DeepClone(),
                ["single_read_p50_ms"] = result["get_organization"]!["api"]!["p50_ms"]!.DeepClone(),
                ["single_read_p99_ms"] = result["get_organization"]!["api"]!["p99_ms"]!.DeepClone(),
            });
        }
        report["scaling"] = scalingRows;
        report["targets_missed"] = new JsonArray(failures.Select(f => (JsonNode)f).ToArray());

        Console.WriteLine();
        Console.WriteLine("Scaling (users page first page, GET organization):");
        Console.WriteLine($"  {"members",10} {"page p50",9} {"page p99",9} {"page ratio",10} {"org p50",8} {"org p99",8}");
        foreach (var row in scalingRows)
            Console.WriteLine($"  {row!["members"]!.GetValue<int>(),10:N0} {row["users_page_p50_ms"]!.GetValue<double>(),9:F2} {row["users_page_p99_ms"]!.GetValue<double>(),9:F2} {row["users_page_rps_ratio"]!.GetValue<double>(),10:F2} {row["single_read_p50_ms"]!.GetValue<double>(),8:F2} {row["single_read_p99_ms"]!.GetValue<double>(),8:F2}");
        Console.WriteLine(failures.Count == 0 ? "All targets met." : "Targets missed:\n  " + string.Join("\n  ", failures));
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await File.WriteAllTextAsync(output, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"Written to {output}");
        return 0;
    }

    /// <summary>
    /// <c>--serve-bare orgstack.db [--urls http://127.0.0.1:5091]</c>: only the bare baselines, as a process of their own,
    /// for measuring from outside with another load generator (bench/outside.py) until stopped.
    /// </summary>
    private static async Task<int> ServeBareAsync(string databasePath, string url)
    {
        if (!File.Exists(databasePath))
        {
            Console.Error.WriteLine($"error: no database at {databasePath}");
            return 2;
        }
        var (app, address) = await BareServer.StartAsync(databasePath, url);
        await using var _ = app;
        Console.WriteLine($"Bare baselines on {address}: /noop, /users/{{org}}, /export/{{org}}, POST /hash");
        await app.WaitForShutdownAsync();
        return 0;
    }

    private static async Task<JsonObject> RunSizeAsync(int size, bool full, string dataDirectory, bool fresh, int workers, int seconds, List<string> failures)
    {
        Console.WriteLine();
        Console.WriteLine($"== {size:N0} members ==");
        var summaryPath = Path.Combine(dataDirectory, "seed.json");
        if (fresh && Directory.Exists(dataDirectory)) Directory.Delete(dataDirectory, recursive: true);
        Directory.CreateDirectory(dataDirectory);

        if (File.Exists(Path.Combine(dataDirectory, "orgstack.db"))) RemoveBulkInvitations(Path.Combine(dataDirectory, "orgstack.db"));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orgstack:DataDirectory"] = dataDirectory,
            ["Orgstack:RateLimits:Enabled"] = "false",
            ["Orgstack:Mail:PollMilliseconds"] = "3600000",
            ["Orgstack:PublicBaseUrl"] = "http://127.0.0.1",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddOrgstack();
        await using var app = builder.Build();
        await app.PrepareDatabaseAsync();
        app.UseOrgstack();

        SeedSummary seed;
        if (File.Exists(summaryPath))
        {
            seed = JsonSerializer.Deserialize<SeedSummary>(await File.ReadAllTextAsync(summaryPath))!;
            Console.WriteLine($"  reusing seeded organization {seed.OrganizationUid} ({dataDirectory}; --fresh to seed again)");
        }
        else
        {
            await using var scope = app.Services.CreateAsyncScope();
            var seeded = await scope.ServiceProvider.GetRequiredService<SeedOrganization>()
                .HandleAsync(new SeedOrganization.Request(size, $"Bench {size}"), Actor.System("bench"), CancellationToken.None);
            if (!seeded.IsSuccess) throw new InvalidOperationException(seeded.Error!.Message);
            seed = seeded.Value;
            await File.WriteAllTextAsync(summaryPath, JsonSerializer.Serialize(seed));
            Console.WriteLine($"  seeded in {seed.Elapsed.TotalSeconds:F1} s");
        }
        await app.StartAsync();
        var api = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var (bare, bareAddress) = await BareServer.StartAsync(Path.Combine(dataDirectory, "orgstack.db"));
        await using var bareApp = bare;

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = workers * 2, PooledConnectionLifetime = TimeSpan.FromMinutes(30) };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(10) };
        using var login = await http.PostAsJsonAsync(api + "/v3/user-session", new { user = new { email = seed.OwnerEmail, password = seed.OwnerPassword } });
        login.EnsureSuccessStatusCode();
        var authtoken = (await login.Content.ReadFromJsonAsync<JsonNode>())!["user"]!["authtoken"]!.GetValue<string>();
        HttpRequestMessage Api(string path) => new(HttpMethod.Get, api + path) { Headers = { { "authtoken", authtoken } } };
        HttpRequestMessage Bare(string path) => new(HttpMethod.Get, bareAddress + path);

        if (Only?.Contains("diag") == true)
        {
            foreach (var (name, message) in new[] { ("api GET organization", Api($"/v3/organizations/{seed.OrganizationUid}")), ("bare no-op", Bare("/noop")) })
            {
                using var response = await http.SendAsync(message);
                Console.WriteLine($"  diag {name}: {(int)response.StatusCode}, chunked {response.Headers.TransferEncodingChunked == true}, content-length {response.Content.Headers.ContentLength?.ToString(Inv) ?? "none"}, headers {string.Join(" ", response.Headers.Select(h => h.Key))} {string.Join(" ", response.Content.Headers.Select(h => h.Key))}");
            }
            await DiagnoseAsync(app.Services, authtoken, seed.OrganizationUid);
        }
        var load = new LoadGenerator(http, workers, TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(Math.Max(1, seconds / 3)));
        var org = seed.OrganizationUid;
        // One unmeasured warm-up of every measured path, server and baselines alike, before the first figure: the first
        // pair otherwise ran while tiered compilation was still replacing its code (its ratio read 0.20 in a run where
        // the same endpoint read 1.14 one size later in the same process).
        var warmPaths = new Func<HttpRequestMessage>[]
        {
            () => Api($"/v3/organizations/{org}"), () => Api($"/v3/organizations/{org}/roles"),
            () => Api($"/v3/organizations/{org}/share?limit=100&desc=last_login_at"), () => Bare("/noop"), () => Bare($"/users/{org}"),
        };
        await load.WarmUpAsync(i => warmPaths[i % warmPaths.Length](), TimeSpan.FromSeconds(Math.Max(3, seconds)));
        var result = new JsonObject { ["members"] = size, ["seed_seconds"] = Math.Round(seed.Elapsed.TotalSeconds, 1) };

        // Users page, sorted by last login (newest first): the first page and a page in the middle of the list.
        var pagePath = $"/v3/organizations/{org}/share?limit=100&desc=last_login_at";
        var first = !Want("page") ? Skipped : await PairAsync(load, "users page (first)", i => Api(pagePath), i => Bare($"/users/{org}"));
        result["users_first_page"] = first.Json(0.80);
        Check(failures, size, first, "users page (first)", minRatio: 0.80, maxP99: LatencyWorkers >= workers ? 10 : null);

        var middle = size / 2;
        var (apiCursor, bareKey) = Want("deep") ? await DeepPositionAsync(http, api, authtoken, org, middle, Path.Combine(dataDirectory, "orgstack.db")) : ("", "");
        var deep = !Want("deep") ? Skipped : await PairAsync(load, $"users page (row {middle:N0})", i => Api(pagePath + "&cursor=" + apiCursor), i => Bare($"/users/{org}?{bareKey}"));
        result["users_deep_page"] = deep.Json(0.80);
        if (first.Api.P50 > 0 && deep.Api.P50 > 0) result["users_deep_vs_first_p50"] = Math.Round(deep.Api.P50 / first.Api.P50, 2);
        Check(failures, size, deep, "users page (deep)", minRatio: 0.80, maxP99: LatencyWorkers >= workers ? 10 : null);

        // Latency: the p99 target is checked with 2 workers, a load the 2-core machine serves without queueing. With 16
        // closed-loop workers every request waits behind the others (the bare baseline's own p99 is 13–24 ms there), so
        // that p99 measures the queue, not the page.
        if (LatencyWorkers < workers && (Want("page") || Want("deep")))
        {
            var quiet = new LoadGenerator(http, LatencyWorkers, TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(Math.Max(1, seconds / 3)));
            var latency = new JsonObject { ["workers"] = LatencyWorkers };
            foreach (var (name, path) in new[] { ("first", pagePath), ("deep", pagePath + "&cursor=" + apiCursor) })
            {
                if (!Want(name == "first" ? "page" : "deep")) continue;
                var measured = await quiet.RunAsync($"users page ({name}), {LatencyWorkers} workers", i => Api(path));
                Console.WriteLine($"  {measured.Name,-28} api {measured.Describe()}");
                latency[name] = new JsonObject { ["rps"] = Math.Round(measured.Rps, 1), ["p50_ms"] = Math.Round(measured.P50, 3), ["p99_ms"] = Math.Round(measured.P99, 3) };
                if (measured.P99 > 10) failures.Add($"{size:N0}: users page ({name}) p99 {measured.P99:F2} ms > 10 ms with {LatencyWorkers} workers");
            }
            result["users_page_latency"] = latency;
        }

        // Single reads against a no-op JSON endpoint.
        var getOrg = !Want("org") ? Skipped : await PairAsync(load, "GET organization", i => Api($"/v3/organizations/{org}"), i => Bare("/noop"));
        result["get_organization"] = getOrg.Json(0.60);
        Check(failures, size, getOrg, "GET organization", minRatio: 0.60, maxP99: null);
        var getRoles = !Want("roles") ? Skipped : await PairAsync(load, "GET roles", i => Api($"/v3/organizations/{org}/roles"), i => Bare("/noop"));
        result["get_roles"] = getRoles.Json(0.60);
        Check(failures, size, getRoles, "GET roles", minRatio: 0.60, maxP99: null);

        // --only probe: where a single read's time goes (not part of a normal run): the middleware alone (an unknown
        // /v3 path, no token), plus the session lookup (the same path with the token).
        if (Only?.Contains("probe") == true)
        {
            await PairAsync(load, "probe: 404 without token", i => new HttpRequestMessage(HttpMethod.Get, api + "/v3/no-such-thing"), i => Bare("/noop"));
            await PairAsync(load, "probe: 404 with token", i => Api("/v3/no-such-thing"), i => Bare("/noop"));
        }

        if (!full || !(Want("export") || Want("invite"))) return result;

        // CSV export of every member against a bare SQLite-to-CSV stream of the same rows.
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "orgstack.db")}"))
        {
            connection.Open();
            using var clear = connection.CreateCommand();
            clear.CommandText = "DELETE FROM rate_limit_counters WHERE key LIKE 'export_users:%'";
            clear.ExecuteNonQuery();
        }
        var bareExport = await StreamAsync(http, () => Bare($"/export/{org}"));
        var apiExport = await StreamAsync(http, () => Api($"/v3/organizations/{org}/users/export.csv"));
        var exportRatio = apiExport.Seconds / bareExport.Seconds;
        Console.WriteLine($"  {"CSV export",-28} api {apiExport.Seconds,6:F2} s, first byte {apiExport.FirstByteMs,5:F0} ms, {apiExport.Bytes / 1e6:F0} MB, peak +{apiExport.PeakManagedMb:F0} MB managed / +{apiExport.PeakWorkingSetMb:F0} MB working set");
        Console.WriteLine($"  {"",-28} bare {bareExport.Seconds,5:F2} s, first byte {bareExport.FirstByteMs,5:F0} ms, {bareExport.Bytes / 1e6:F0} MB, peak +{bareExport.PeakManagedMb:F0} MB managed / +{bareExport.PeakWorkingSetMb:F0} MB working set");
        Console.WriteLine($"  {"",-28} time ratio {exportRatio:F2} (target <= 1.30)");
        result["csv_export"] = new JsonObject
        {
            ["api"] = apiExport.Json(), ["bare"] = bareExport.Json(), ["time_ratio"] = Math.Round(exportRatio, 2), ["target_time_ratio"] = 1.3,
        };
        if (exportRatio > 1.3) failures.Add($"{size:N0}: CSV export time ratio {exportRatio:F2} > 1.30");
        if (apiExport.PeakWorkingSetMb > 150) failures.Add($"{size:N0}: CSV export peak working set +{apiExport.PeakWorkingSetMb:F0} MB > 150 MB");
        if (apiExport.FirstByteMs > 100) failures.Add($"{size:N0}: CSV export first byte {apiExport.FirstByteMs:F0} ms > 100 ms");

        // Bulk invite of 10,000 addresses in one request; every invitation's mail must be in the outbox.
        var invitees = new JsonObject();
        var memberRole = OrgRoles.UidFor(org, OrgRole.Member);
        var batch = Guid.NewGuid().ToString("n")[..8];
        for (var i = 0; i < 10_000; i++) invitees[$"invitee{i}.{batch}@bulk.example.com"] = new JsonArray(memberRole);
        var body = new JsonObject { ["share"] = new JsonObject { ["users"] = invitees, ["message"] = "Welcome aboard" } };
        var inviteWatch = Stopwatch.StartNew();
        using var invite = new HttpRequestMessage(HttpMethod.Post, api + $"/v3/organizations/{org}/share") { Content = JsonContent.Create(body), Headers = { { "authtoken", authtoken } } };
        using var inviteResponse = await http.SendAsync(invite);
        var inviteText = await inviteResponse.Content.ReadAsStringAsync();
        var inviteSeconds = inviteWatch.Elapsed.TotalSeconds;
        var invited = (int)inviteResponse.StatusCode < 300 ? JsonNode.Parse(inviteText)!["shares"]!.AsArray().Count : 0;
        long queued;
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(dataDirectory, "orgstack.db")}"))
        {
            connection.Open();
            using var count = connection.CreateCommand();
            count.CommandText = "SELECT count(*) FROM outbox_messages WHERE to_address LIKE $pattern";
            count.Parameters.AddWithValue("$pattern", $"%.{batch}@bulk.example.com");
            queued = (long)count.ExecuteScalar()!;
        }
        await app.StopAsync();
        RemoveBulkInvitations(Path.Combine(dataDirectory, "orgstack.db"));
        Console.WriteLine($"  {"bulk invite 10,000",-28} {(int)inviteResponse.StatusCode} in {inviteSeconds:F2} s, {invited:N0} invited, {queued:N0} mails queued (target < 5 s)");
        result["bulk_invite"] = new JsonObject
        {
            ["status"] = (int)inviteResponse.StatusCode, ["seconds"] = Math.Round(inviteSeconds, 2), ["invited"] = invited, ["mails_queued"] = queued, ["target_seconds"] = 5,
        };
        if (inviteSeconds > 5 || invited != 10_000 || queued != 10_000) failures.Add($"{size:N0}: bulk invite {inviteSeconds:F2} s, {invited} invited, {queued} queued");
        return result;
    }

    private static readonly Pair Skipped = new(new LoadResult("skipped", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), new LoadResult("skipped", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));

    private sealed record Pair(LoadResult Api, LoadResult Bare)
    {
        public double Ratio => Bare.Rps == 0 ? 0 : Api.Rps / Bare.Rps;

        public JsonObject Json(double target) => new()
        {
            ["api"] = Load(Api), ["bare"] = Load(Bare), ["ratio"] = Math.Round(Ratio, 3), ["target_ratio"] = target,
        };

        private static JsonObject Load(LoadResult r) => new()
        {
            ["requests"] = r.Requests, ["errors"] = r.Errors, ["rps"] = Math.Round(r.Rps, 1), ["p50_ms"] = Math.Round(r.P50, 3),
            ["p90_ms"] = Math.Round(r.P90, 3), ["p99_ms"] = Math.Round(r.P99, 3), ["max_ms"] = Math.Round(r.Max, 3), ["cpu_us_per_request"] = Math.Round(r.CpuMicrosPerRequest, 1), ["pool_items_per_request"] = Math.Round(r.WorkItemsPerRequest, 2),
        };
    }

    private static async Task<Pair> PairAsync(LoadGenerator load, string name, Func<int, HttpRequestMessage> api, Func<int, HttpRequestMessage> bare)
    {
        // Both warmed up, then measured in alternating slices (baseline, API, three times), so that load from elsewhere on a
        // shared machine falls on both sides of the ratio.
        var (a, b) = await load.RunInterleavedAsync(name, api, name + " bare", bare, rounds: 3);
        var pair = new Pair(a, b);
        Console.WriteLine($"  {name,-28} api  {a.Describe()}");
        Console.WriteLine($"  {"",-28} bare {b.Describe()}   ratio {pair.Ratio:F2}");
        return pair;
    }

    private static void Check(List<string> failures, int size, Pair pair, string name, double minRatio, double? maxP99)
    {
        if (ReferenceEquals(pair, Skipped)) return;
        if (pair.Ratio < minRatio) failures.Add($"{size:N0}: {name} rps ratio {pair.Ratio:F2} < {minRatio:F2}");
        if (maxP99 is { } p99 && pair.Api.P99 > p99) failures.Add($"{size:N0}: {name} p99 {pair.Api.P99:F2} ms > {p99} ms");
        if (pair.Api.Errors > 0) failures.Add($"{size:N0}: {name} {pair.Api.Errors} errors");
    }

    /// <summary>The API's cursor and the baseline's keyset position at the given row of the last-login order.</summary>
    private static async Task<(string ApiCursor, string BareKey)> DeepPositionAsync(HttpClient http, string api, string authtoken, string org, int row, string databasePath)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT last_login_at, uid FROM memberships WHERE organization_uid = $org ORDER BY last_login_at DESC, uid DESC LIMIT 1 OFFSET $row";
        command.Parameters.AddWithValue("$org", org);
        command.Parameters.AddWithValue("$row", Math.Max(0, row - 1));
        using var reader = command.ExecuteReader();
        reader.Read();
        var key = reader.IsDBNull(0) ? (long?)null : reader.GetInt64(0);
        var uid = reader.GetString(1);
        // The API's cursor for that position: ask for the page ending there (once; it may be slow) and keep its next cursor.
        using var request = new HttpRequestMessage(HttpMethod.Get, api + $"/v3/organizations/{org}/share?limit=100&desc=last_login_at&skip={Math.Max(0, row - 100)}");
        request.Headers.Add("authtoken", authtoken);
        using var response = await http.SendAsync(request);
        var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var cursor = page["next_cursor"]?.GetValue<string>() ?? throw new InvalidOperationException("The users list sorted by last login returns no next_cursor.");
        return (Uri.EscapeDataString(cursor), key is null ? $"key=&uid={uid}" : $"key={key}&uid={uid}");
    }

    private sealed record StreamResult(double Seconds, double FirstByteMs, long Bytes, double PeakManagedMb, double PeakWorkingSetMb, int Status)
    {
        public JsonObject Json() => new()
        {
            ["seconds"] = Math.Round(Seconds, 3), ["first_byte_ms"] = Math.Round(FirstByteMs, 1), ["bytes"] = Bytes, ["status"] = Status,
            ["peak_managed_delta_mb"] = Math.Round(PeakManagedMb, 1), ["peak_working_set_delta_mb"] = Math.Round(PeakWorkingSetMb, 1),
        };
    }

    /// <summary>One download, timed, with the process's managed heap and working set sampled every 5 ms.</summary>
    private static async Task<StreamResult> StreamAsync(HttpClient http, Func<HttpRequestMessage> request)
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var baseManaged = GC.GetTotalMemory(false);
        var baseWorkingSet = process.WorkingSet64;
        long peakManaged = baseManaged, peakWorkingSet = baseWorkingSet;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                process.Refresh();
                peakManaged = Math.Max(peakManaged, GC.GetTotalMemory(false));
                peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
                try { await Task.Delay(5, stop.Token); } catch (OperationCanceledException) { }
            }
        });
        var watch = Stopwatch.StartNew();
        using var message = request();
        using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        long bytes = 0;
        double firstByte = -1;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            if (firstByte < 0) firstByte = watch.Elapsed.TotalMilliseconds;
            bytes += read;
        }
        var seconds = watch.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        await sampler;
        return new StreamResult(seconds, firstByte, bytes, (peakManaged - baseManaged) / 1e6, (peakWorkingSet - baseWorkingSet) / 1e6, (int)response.StatusCode);
    }

    /// <summary>
    /// Undoes a bulk invite (its invitations, tokens and queued mail), so a reused database keeps its size and the mail
    /// sender has no backlog to work through while the next run measures.
    /// </summary>
    private static void RemoveBulkInvitations(string databasePath)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            DELETE FROM outbox_messages WHERE to_address LIKE '%@bulk.example.com';
            DELETE FROM action_tokens WHERE email LIKE '%@bulk.example.com';
            DELETE FROM memberships WHERE email LIKE '%@bulk.example.com';
            """;
        command.CommandTimeout = 0;
        command.ExecuteNonQuery();
    }

    /// <summary>--only diag: the per-request pieces without HTTP, timed one by one (for finding where the time goes).</summary>
    private static async Task DiagnoseAsync(IServiceProvider services, string authtoken, string org)
    {
        async Task Time(string name, Func<IServiceProvider, Task> action)
        {
            for (var i = 0; i < 200; i++) { await using var s = services.CreateAsyncScope(); await action(s.ServiceProvider); }
            var watch = Stopwatch.StartNew();
            const int n = 2000;
            for (var i = 0; i < n; i++) { await using var s = services.CreateAsyncScope(); await action(s.ServiceProvider); }
            Console.WriteLine($"  diag {name,-40} {watch.Elapsed.TotalMicroseconds / n,8:F0} µs");
        }
        await Time("scope + DbContext", sp => { sp.GetRequiredService<Orgstack.Core.Data.OrgstackDbContext>(); return Task.CompletedTask; });
        var dbPath = services.GetRequiredService<Orgstack.Core.Common.OrgstackOptions>() is var o ? Path.Combine(Path.GetFullPath(o.DataDirectory), "orgstack.db") : "";
        foreach (var pragma in new[] { "", "PRAGMA journal_mode=WAL;", "PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;" })
            await Time("open + select 1 " + pragma[..Math.Min(24, pragma.Length)], async sp =>
            {
                await using var c = new SqliteConnection($"Data Source={dbPath};Pooling=True");
                await c.OpenAsync();
                await using var cmd = c.CreateCommand();
                cmd.CommandText = pragma + "SELECT 1";
                await cmd.ExecuteScalarAsync();
            });
        var hash = Secrets.Hash(authtoken);
        {
            await using var s1 = services.CreateAsyncScope();
            var db1 = s1.ServiceProvider.GetRequiredService<Orgstack.Core.Data.OrgstackDbContext>();
            var sql1 = $"SELECT {Orgstack.Core.Data.LeanSql.Reader<Orgstack.Core.Accounts.Session>(db1).Columns("s")}, {Orgstack.Core.Data.LeanSql.Reader<Orgstack.Core.Accounts.User>(db1).Columns("u")} FROM sessions s JOIN users u ON u.uid = s.user_uid WHERE s.token_hash = @hash AND s.revoked_at IS NULL";
            var h1 = Secrets.Hash(authtoken);
            async Task Step(string name, int stage)
            {
                async Task One()
                {
                    await using var read = await Orgstack.Core.Data.LeanSql.ReadAsync(db1, sql1, default);
                    if (stage < 1) return;
                    Orgstack.Core.Data.LeanSql.Parameter(read.Command, "@hash", h1);
                    await using var reader = await read.Command.ExecuteReaderAsync();
                    if (!await reader.ReadAsync() || stage < 2) return;
                    var sessions = Orgstack.Core.Data.LeanSql.Reader<Orgstack.Core.Accounts.Session>(db1);
                    sessions.Read(reader, 0);
                    Orgstack.Core.Data.LeanSql.Reader<Orgstack.Core.Accounts.User>(db1).Read(reader, sessions.Width);
                }
                for (var i = 0; i < 2000; i++) await One();
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < 20000; i++) await One();
                Console.WriteLine($"  diag {name,-40} {watch.Elapsed.TotalMicroseconds / 20000,8:F2} µs");
            }
            if (Environment.GetEnvironmentVariable("ORGSTACK_BENCH_PROFILE_SECONDS") is { } profileSeconds)
            {
                // A steady single-threaded loop of the session check in one scope, for `perf record -p`.
                var tokens = s1.ServiceProvider.GetRequiredService<Orgstack.Core.Accounts.SessionTokens>();
                var until = Stopwatch.StartNew();
                var count = 0;
                while (until.Elapsed.TotalSeconds < double.Parse(profileSeconds, CultureInfo.InvariantCulture)) { await tokens.ValidateAsync(authtoken, org, default); count++; }
                Console.WriteLine($"  diag profile loop: {until.Elapsed.TotalMicroseconds / count:F2} µs per session check with organization (SQLite multi-thread mode: {Orgstack.Core.Data.SqliteThreading.MultiThread})");
            }
            await Step("lean rent+return", 0);
            await Step("lean + execute + read row", 1);
            await Step("lean + execute + materialize", 2);
        }
        void Loop(string name, Action action)
        {
            for (var i = 0; i < 2000; i++) action();
            var watch = Stopwatch.StartNew();
            const int n = 20000;
            for (var i = 0; i < n; i++) action();
            Console.WriteLine($"  diag {name,-40} {watch.Elapsed.TotalMicroseconds / n,8:F2} µs");
        }
        Loop("Secrets.Hash (no scope)", () => Secrets.Hash(authtoken));
        {
            await using var s0 = services.CreateAsyncScope();
            var view = (await s0.ServiceProvider.GetRequiredService<GetOrganization>().HandleAsync(org,
                new Actor((await s0.ServiceProvider.GetRequiredService<Orgstack.Core.Accounts.SessionTokens>().ValidateAsync(authtoken, default))!.UserUid, "x"), default)).Value;
            var jsonOptions = new JsonSerializerOptions(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
            Loop("Wire.Organization as JSON", () => JsonSerializer.SerializeToUtf8Bytes(new { organization = Orgstack.Server.Api.Wire.Organization(view) }, jsonOptions));
        }
        await Time("Secrets.Hash", sp => { Secrets.Hash(authtoken); return Task.CompletedTask; });
        await Time("session query", sp => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstOrDefaultAsync(
            sp.GetRequiredService<Orgstack.Core.Data.OrgstackDbContext>().Sessions.Where(x => x.TokenHash == hash && x.RevokedAt == null)));
        await using (var one = services.CreateAsyncScope())
        {
            var db = one.ServiceProvider.GetRequiredService<Orgstack.Core.Data.OrgstackDbContext>();
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < 2000; i++)
                await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstOrDefaultAsync(
                    Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.AsNoTracking(db.Sessions).Where(x => x.TokenHash == hash && x.RevokedAt == null));
            Console.WriteLine($"  diag session query, one context             {watch.Elapsed.TotalMicroseconds / 2000,8:F0} µs");
        }
        var compiled = Microsoft.EntityFrameworkCore.EF.CompileAsyncQuery((Orgstack.Core.Data.OrgstackDbContext db, string h) =>
            db.Sessions.Where(x => x.TokenHash == h && x.RevokedAt == null).Join(db.Users, s => s.UserUid, u => u.Uid, (s, u) => new { s, u }).FirstOrDefault());
        await Time("session+user compiled", sp => compiled(sp.GetRequiredService<Orgstack.Core.Data.OrgstackDbContext>(), hash));
        await Time("session+user raw ADO (context conn)", async sp =>
        {
            var db = sp.GetRequiredService<Orgstack.Core.Data.OrgstackDbContext>();
            var c = Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.GetDbConnection(db.Database);
            await c.OpenAsync();
            try
            {
                await using var cmd = c.CreateCommand();
                cmd.CommandText = "SELECT s.uid, s.user_uid, s.expires_at, s.last_seen_at, u.email, u.active, u.locked_at FROM sessions s JOIN users u ON u.uid = s.user_uid WHERE s.token_hash = $h AND s.revoked_at IS NULL";
                var p = cmd.CreateParameter(); p.ParameterName = "$h"; p.Value = hash; cmd.Parameters.Add(p);
                await using var r = await cmd.ExecuteReaderAsync();
                await r.ReadAsync();
            }
            finally { await c.CloseAsync(); }
        });
        {
            await using var scope0 = services.CreateAsyncScope();
            var db0 = scope0.ServiceProvider.GetRequiredService<Orgstack.Core.Data.OrgstackDbContext>();
            var fullSql = $"SELECT {Orgstack.Core.Data.LeanSql.Reader<Orgstack.Core.Accounts.Session>(db0).Columns("s")}, {Orgstack.Core.Data.LeanSql.Reader<Orgstack.Core.Accounts.User>(db0).Columns("u")} FROM sessions s JOIN users u ON u.uid = s.user_uid WHERE s.token_hash = @hash AND s.revoked_at IS NULL";
            await Time("full columns, new conn each", async sp =>
            {
                await using var c = new SqliteConnection($"Data Source={dbPath};Pooling=True");
                await c.OpenAsync();
                await using var cmd = c.CreateCommand();
                cmd.CommandText = fullSql;
                cmd.Parameters.AddWithValue("@hash", hash);
                await using var r = await cmd.ExecuteReaderAsync();
                await r.ReadAsync();
            });
            await using var kept = new SqliteConnection($"Data Source={dbPath};Pooling=True");
            await kept.OpenAsync();
            await using var prepared = kept.CreateCommand();
            prepared.CommandText = fullSql;
            var hp = prepared.Parameters.AddWithValue("@hash", hash);
            prepared.Prepare();
            await Time("full columns, prepared, kept open", async sp =>
            {
                await using var r = await prepared.ExecuteReaderAsync();
                await r.ReadAsync();
            });
        }
        await Time("session validate", sp => sp.GetRequiredService<Orgstack.Core.Accounts.SessionTokens>().ValidateAsync(authtoken, default));
        var actor = (await services.CreateAsyncScope().ServiceProvider.GetRequiredService<Orgstack.Core.Accounts.SessionTokens>().ValidateAsync(authtoken, default))!;
        var who = new Actor(actor.UserUid, actor.Email);
        await Time("OrgAccess.MemberAsync", sp => sp.GetRequiredService<OrgAccess>().MemberAsync(org, who, default));
        await Time("GetOrganization", sp => sp.GetRequiredService<GetOrganization>().HandleAsync(org, who, default));
    }

    private static string ResultsDirectory()
    {
        // bench/results next to this project, wherever dotnet run was started.
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Orgstack.Bench.csproj"))) dir = dir.Parent;
        return dir?.Parent is { } bench ? Path.Combine(bench.FullName, "results") : Path.Combine(Directory.GetCurrentDirectory(), "results");
    }

    private static int Arg(string[] args, string name, int fallback) =>
        ArgString(args, name) is { } value ? int.Parse(value, Inv) : fallback;

    private static string? ArgString(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
