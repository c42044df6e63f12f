using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;

namespace Orgstack.Core.Security;

/// <summary>The outcome of one counted request: allowed, or refused until the window ends.</summary>
public readonly record struct RateDecision(bool Allowed, int RetryAfterSeconds);

public static class RateLimitErrors
{
    /// <summary>429 in the contract's shape; the wait in seconds rides in <c>retry_after</c> for the <c>retry-after</c> header.</summary>
    public static Error TooManyRequests(int retryAfterSeconds) => new("rate_limited", "Too many requests", ErrorKind.RateLimited, 429,
        new Dictionary<string, string[]> { ["retry_after"] = [retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)] });
}

/// <summary>
/// Fixed-window counters in the database (one atomic upsert per request), so every node shares the same limits.
/// Keys that name an account carry a hash of it, never the address itself.
/// </summary>
public sealed class RateLimiter(OrgstackDbContext db, OrgstackOptions options, TimeProvider clock)
{
    public TimeSpan Window => TimeSpan.FromSeconds(Math.Max(1, options.RateLimits.WindowSeconds));

    /// <summary>Counts a request against each key; the first exhausted key refuses it.</summary>
    public async Task<Error?> CheckAsync(CancellationToken ct, params (string? Key, int Limit)[] keys)
    {
        foreach (var (key, limit) in keys)
        {
            if (key is null) continue;
            var decision = await HitAsync(key, limit, ct);
            if (!decision.Allowed) return RateLimitErrors.TooManyRequests(decision.RetryAfterSeconds);
        }
        return null;
    }

    public async Task<RateDecision> HitAsync(string key, int limit, CancellationToken ct)
    {
        if (!options.RateLimits.Enabled || limit <= 0) return new RateDecision(true, 0);
        var now = clock.GetUtcNow();
        var windowMs = (long)Window.TotalMilliseconds;
        var startMs = now.ToUnixTimeMilliseconds() / windowMs * windowMs;
        var start = DateTimeOffset.FromUnixTimeMilliseconds(startMs);
        List<int> rows;
        if (db.IsSqlite)
            rows = await db.Database.SqlQuery<int>($"""
                INSERT INTO rate_limit_counters ("key", window_start, "count") VALUES ({key}, {startMs}, 1)
                ON CONFLICT ("key") DO UPDATE SET
                  "count" = CASE WHEN rate_limit_counters.window_start = excluded.window_start THEN rate_limit_counters."count" + 1 ELSE 1 END,
                  window_start = excluded.window_start
                RETURNING "count" AS "Value"
                """).ToListAsync(ct);
        else
            rows = await db.Database.SqlQuery<int>($"""
                INSERT INTO rate_limit_counters ("key", window_start, "count") VALUES ({key}, {start}, 1)
                ON CONFLICT ("key") DO UPDATE SET
                  "count" = CASE WHEN rate_limit_counters.window_start = excluded.window_start THEN rate_limit_counters."count" + 1 ELSE 1 END,
                  window_start = excluded.window_start
                RETURNING "count" AS "Value"
                """).ToListAsync(ct);
        var count = rows.Count == 1 ? rows[0] : 1;
        if (count <= limit) return new RateDecision(true, 0);
        var retry = (int)Math.Ceiling((start + Window - now).TotalSeconds);
        return new RateDecision(false, Math.Max(1, retry));
    }

    /// <summary>The per-address key, or null when the server sees no client address (nothing to count against).</summary>
    public static string? AddressKey(string prefix, string? remoteAddress) =>
        string.IsNullOrEmpty(remoteAddress) ? null : prefix + KeyPart(remoteAddress);

    /// <summary>A stable, non-reversible key part for an account name or address.</summary>
    public static string KeyPart(string value) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value.Trim().ToLowerInvariant())))[..32];
}
