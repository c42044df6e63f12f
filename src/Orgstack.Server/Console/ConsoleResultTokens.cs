using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;

namespace Orgstack.Server.Console;

/// <summary>
/// Post/redirect/get for console actions: a POST handler seals what happened (per-user results, a message) into a
/// <c>?result=</c> token and redirects to a GET of the page, which opens the token and shows it. A reload shows the same
/// result without running the action again, and Back never reposts. The token is compressed, encrypted and signed with
/// the Data Protection keys (kept in the database, so any node opens it), expires after <see cref="Lifetime"/>, and opens
/// only for the user and page it was made for; anything else (expired, tampered, someone else's) shows nothing.
/// </summary>
public sealed class ConsoleResultTokens(IDataProtectionProvider provider)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(30);
    public const string QueryKey = "result";

    private readonly ITimeLimitedDataProtector protector = provider.CreateProtector("Orgstack.Console.Result.v1").ToTimeLimitedDataProtector();

    private sealed record Envelope(string User, string Scope, JsonElement Value);

    public string Seal<T>(string userUid, string scope, T value)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new Envelope(userUid, scope, JsonSerializer.SerializeToElement(value)));
        using var buffer = new MemoryStream();
        using (var brotli = new BrotliStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) brotli.Write(json);
        return WebEncoders.Base64UrlEncode(protector.Protect(buffer.ToArray(), Lifetime));
    }

    public T? Open<T>(string? token, string userUid, string scope) where T : class
    {
        if (string.IsNullOrEmpty(token) || token.Length > 16_000) return null;
        try
        {
            var sealedBytes = WebEncoders.Base64UrlDecode(token);
            var compressed = protector.Unprotect(sealedBytes, out _);
            using var input = new BrotliStream(new MemoryStream(compressed), CompressionMode.Decompress);
            var envelope = JsonSerializer.Deserialize<Envelope>(input);
            if (envelope is null || envelope.User != userUid || envelope.Scope != scope) return null;
            return envelope.Value.Deserialize<T>();
        }
        catch (FormatException) { return null; }
        catch (CryptographicException) { return null; }
        catch (JsonException) { return null; }
        catch (InvalidDataException) { return null; }
    }
}
