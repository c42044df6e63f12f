using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Organizations;
using Orgstack.Server.Hosting;

namespace Orgstack.Bench;

/// <summary>
/// Sign-in throughput over real HTTP (Kestrel on loopback, parallel clients) against the raw PasswordHasher verify
/// rate at the same settings, measured in the same run. Prints the ratio and writes JSON.
/// Usage: dotnet run -c Release --project bench/SignInBench -- [--iterations 220000] [--clients 8] [--seconds 10] [--warmup 15] [--out file.json]
/// </summary>
public static class SignInBench
{
    public static async Task<int> Main(string[] args)
    {
        var iterations = Arg(args, "--iterations", 220_000);
        var clients = Arg(args, "--clients", Math.Max(4, Environment.ProcessorCount * 4));
        var seconds = Arg(args, "--seconds", 10);
        var warmup = Arg(args, "--warmup", 15);
        var output = Path.GetFullPath(ArgString(args, "--out") ?? Path.Combine("results", "signin.json"));
        var dataDirectory = Path.Combine(Path.GetTempPath(), "orgstack-bench", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dataDirectory);
        const string email = "loadtest@example.test";
        const string password = "a long benchmark passphrase";

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orgstack:DataDirectory"] = dataDirectory,
            ["Orgstack:Passwords:Iterations"] = iterations.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Orgstack:RateLimits:Enabled"] = "false",
            ["Orgstack:Mail:PollMilliseconds"] = "60000",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddOrgstack();
        await using var app = builder.Build();
        await app.PrepareDatabaseAsync();
        app.UseOrgstack();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var created = await scope.ServiceProvider.GetRequiredService<CreateOrganization>()
                .HandleAsync(new CreateOrganization.Request("Bench", email, password), Actor.System(), CancellationToken.None);
            if (!created.IsSuccess) throw new InvalidOperationException(created.Error!.Message);
        }
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        using var passwords = new Passwords(new OrgstackOptions { Passwords = { Iterations = iterations } });
        var hash = passwords.Hash(password);
        using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(120) };
        var failed = 0L;
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();

        // 1. Raw hash rate at the same settings: one verification per core at a time, no HTTP, no database.
        async Task<(long Count, double Seconds)> RawAsync(double length)
        {
            var count = 0L;
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Task.Run(() =>
            {
                while (watch.Elapsed.TotalSeconds < length)
                {
                    passwords.Verify(hash, password);
                    Interlocked.Increment(ref count);
                }
            })));
            return (count, watch.Elapsed.TotalSeconds);
        }

        // 2. Sign-ins over HTTP with parallel clients (closed loop: each client signs in again as soon as it has an answer).
        async Task<(long Count, double Seconds)> SignInsAsync(double length, bool measured)
        {
            var ok = 0L;
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
            {
                while (watch.Elapsed.TotalSeconds < length)
                {
                    var started = Stopwatch.GetTimestamp();
                    using var response = await http.PostAsJsonAsync("/v3/user-session", new { user = new { email, password } });
                    var body = await response.Content.ReadAsStringAsync();
                    if (measured) latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (response.IsSuccessStatusCode) Interlocked.Increment(ref ok);
                    else if (Interlocked.Increment(ref failed) == 1) Console.Error.WriteLine($"first failure: {(int)response.StatusCode} {body}");
                }
            })));
            return (ok, watch.Elapsed.TotalSeconds);
        }

        // Warm-up, not measured: a server that has just started spends a fifth of its CPU on the JIT (tier-up of the
        // sign-in path, EF's first queries) for its first ten to twenty seconds, which is start-up, not sign-in (perf
        // showed the ".NET Tiered Compilation" thread at 19 % while the first figures were taken).
        await SignInsAsync(warmup, measured: false);
        await RawAsync(Math.Min(2, warmup));
        // Then alternating slices (raw, sign-ins, three times), so other load on the machine falls on both sides.
        long rawCount = 0, signIns = 0;
        double rawSeconds = 0, signInSeconds = 0;
        for (var round = 0; round < 3; round++)
        {
            var (r, rs) = await RawAsync(seconds / 3.0);
            rawCount += r;
            rawSeconds += rs;
            var (h, hs) = await SignInsAsync(seconds / 3.0, measured: true);
            signIns += h;
            signInSeconds += hs;
        }
        var ok = signIns;
        var rawRate = rawCount / rawSeconds;
        var signInRate = signIns / signInSeconds;
        await app.StopAsync();

        var sorted = latencies.OrderBy(x => x).ToArray();
        double Percentile(double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
        var result = new
        {
            measured_at = DateTimeOffset.UtcNow,
            processor_count = Environment.ProcessorCount,
            iterations,
            clients,
            seconds,
            warmup_seconds = warmup,
            raw_verifications_per_second = Math.Round(rawRate, 2),
            sign_ins_per_second = Math.Round(signInRate, 2),
            ratio = Math.Round(rawRate == 0 ? 0 : signInRate / rawRate, 3),
            sign_ins_ok = ok,
            sign_ins_failed = failed,
            latency_ms_p50 = Math.Round(Percentile(0.50), 1),
            latency_ms_p95 = Math.Round(Percentile(0.95), 1),
        };
        Console.WriteLine($"PBKDF2-HMAC-SHA512 at {iterations:N0} iterations, {Environment.ProcessorCount} cores, {clients} HTTP clients, {seconds}s each in 3 alternating slices after {warmup}s of warm-up:");
        Console.WriteLine($"  raw verify rate   {rawRate,10:F2} /s");
        Console.WriteLine($"  sign-in over HTTP {signInRate,10:F2} /s  ({ok} ok, {failed} failed; p50 {result.latency_ms_p50} ms, p95 {result.latency_ms_p95} ms)");
        Console.WriteLine($"  ratio             {result.ratio,10:F3}");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        await File.WriteAllTextAsync(output, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"  written to {output}");
        try { Directory.Delete(dataDirectory, recursive: true); } catch (IOException) { }
        return failed == 0 ? 0 : 1;
    }

    private static int Arg(string[] args, string name, int fallback) =>
        ArgString(args, name) is { } value && int.TryParse(value, out var parsed) && parsed > 0 ? parsed : fallback;

    private static string? ArgString(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
