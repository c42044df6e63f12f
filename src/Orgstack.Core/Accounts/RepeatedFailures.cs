using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Orgstack.Core.Accounts;

/// <summary>
/// Recognises the csdx CLI's automatic retries: it sends a refused login 4 times within milliseconds (1 try + 3 retries),
/// so an identical failed attempt (same account, password and code) repeated within a few seconds counts once.
/// Kept in memory only, under a per-process random key, so nothing derived from a wrong password is ever stored;
/// on a multi-node deployment a retry landing on another node simply counts again (never less safe).
/// </summary>
public sealed class RepeatedFailures(TimeProvider clock)
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private readonly byte[] key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, DateTimeOffset> seen = new(StringComparer.Ordinal);

    /// <summary>Records a failed attempt; true when the same attempt already failed within the window.</summary>
    public bool IsRepeat(string userUid, string password, string? code)
    {
        var now = clock.GetUtcNow();
        if (seen.Count > 10_000)
            foreach (var (k, at) in seen)
                if (now - at > Window) seen.TryRemove(k, out _);
        var fingerprint = Convert.ToHexString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(userUid + "\0" + password + "\0" + code)));
        var repeat = seen.TryGetValue(fingerprint, out var previous) && now - previous <= Window;
        seen[fingerprint] = now;
        return repeat;
    }
}
