using System.Security.Cryptography;

namespace Orgstack.Core.Common;

/// <summary>Opaque public identifiers in Contentstack's shape: "blt" followed by 16 hex digits.</summary>
public static class Ids
{
    public static string New() => "blt" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public static bool LooksValid(string? uid) =>
        uid is { Length: >= 3 and <= 64 } && uid.All(c => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '-');
}
