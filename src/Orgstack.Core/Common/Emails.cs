using System.Net.Mail;

namespace Orgstack.Core.Common;

/// <summary>Email address rules: one canonical (trimmed, lower-case) form, so uniqueness is case-insensitive on every database.</summary>
public static class Emails
{
    public const int MaxLength = 254;

    /// <summary>
    /// The canonical form. A NUL (which PostgreSQL text cannot hold, and no valid address has) becomes U+FFFD, so a
    /// lookup or a rate-limit key built from a hostile address finds nothing instead of failing in the database.
    /// </summary>
    public static string Normalize(string email) => email.Trim().Replace('\0', '\uFFFD').ToLowerInvariant();

    public static bool IsValid(string? email)
    {
        if (string.IsNullOrWhiteSpace(email)) return false;
        var trimmed = email.Trim();
        if (trimmed.Length > MaxLength) return false;
        // Control characters, spaces and display-name syntax are refused: they could inject mail headers.
        if (trimmed.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is '<' or '>' or '"' or ',' or ';' or '(' or ')' or '\\')) return false;
        var at = trimmed.LastIndexOf('@');
        if (at <= 0 || at == trimmed.Length - 1) return false;
        var domain = trimmed[(at + 1)..];
        if (!domain.Contains('.') || domain.StartsWith('.') || domain.EndsWith('.') || domain.Contains("..")) return false;
        return MailAddress.TryCreate(trimmed, out var parsed) && parsed.Address == trimmed;
    }
}
