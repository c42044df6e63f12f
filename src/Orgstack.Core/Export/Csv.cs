using System.Text;

namespace Orgstack.Core.Export;

/// <summary>
/// RFC 4180 fields with spreadsheet formula injection neutralised (OWASP CSV Injection, ASVS V1.2.10): a value that
/// starts with = + - @ Tab CR LF or NUL gets a leading apostrophe, then every field is quoted and inner quotes are doubled.
/// </summary>
public static class Csv
{
    public const string LineEnd = "\r\n";

    public static bool IsDangerousStart(char c) => c is '=' or '+' or '-' or '@' or '\t' or '\r' or '\n' or '\0';

    public static string Field(string? value)
    {
        value ??= "";
        var builder = new StringBuilder(value.Length + 4).Append('"');
        if (value.Length > 0 && IsDangerousStart(value[0])) builder.Append('\'');
        foreach (var c in value)
        {
            if (c == '"') builder.Append('"');
            builder.Append(c);
        }
        return builder.Append('"').ToString();
    }

    /// <summary>Appends one field, quoted and neutralised exactly as <see cref="Field"/> writes it, without allocating.</summary>
    public static StringBuilder Append(StringBuilder line, string? value)
    {
        value ??= "";
        line.Append('"');
        if (value.Length > 0 && IsDangerousStart(value[0])) line.Append('\'');
        var start = 0;
        for (var quote = value.IndexOf('"'); quote >= 0; quote = value.IndexOf('"', start))
        {
            line.Append(value, start, quote + 1 - start).Append('"');
            start = quote + 1;
        }
        return line.Append(value, start, value.Length - start).Append('"');
    }

    public static string Line(IEnumerable<string?> fields) => string.Join(',', fields.Select(Field)) + LineEnd;
}
