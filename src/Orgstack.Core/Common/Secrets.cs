using System.Security.Cryptography;
using System.Text;

namespace Orgstack.Core.Common;

/// <summary>
/// Bearer secrets (session tokens, emailed links): 256 random bits, shown once, stored only as a SHA-256 hash.
/// A fast hash is enough at this entropy; a slow one would only cost every request.
/// </summary>
public static class Secrets
{
    public static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string token)
    {
        // Every authenticated request hashes its token: on the stack, not in two short-lived arrays.
        var max = Encoding.UTF8.GetMaxByteCount(token.Length);
        var bytes = max <= 1024 ? stackalloc byte[max] : new byte[max];
        var length = Encoding.UTF8.GetBytes(token, bytes);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes[..length], digest);
        return Convert.ToHexStringLower(digest);
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
