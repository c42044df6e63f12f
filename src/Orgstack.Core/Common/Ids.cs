using System.Security.Cryptography;

namespace Orgstack.Core.Common;

/// <summary>Opaque public identifiers in Contentstack's shape: "blt" followed by 16 hex digits.</summary>
public static class Ids
{
    public static string New() => "blt" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public static bool LooksValid(string? uid) => uid is not null && LooksValid(uid.AsSpan());

    public static bool LooksValid(ReadOnlySpan<char> uid)
    {
        if (uid.Length is < 3 or > 64) return false;
        foreach (var c in uid)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == '-')) return false;
        return true;
    }
}
