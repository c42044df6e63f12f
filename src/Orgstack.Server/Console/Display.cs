using Orgstack.Core.Accounts;
using Orgstack.Core.Organizations;

namespace Orgstack.Server.Console;

public static class RoleLabel
{
    public static string Of(OrgRole role) => role switch
    {
        OrgRole.Owner => "Owner",
        OrgRole.Admin => "Admin",
        _ => "Member",
    };
}

public static class Initials
{
    public static string Of(SignedIn user) => Of(user.FirstName, user.LastName, user.Email);

    public static string Of(string firstName, string lastName, string email)
    {
        var first = firstName.Trim();
        var last = lastName.Trim();
        if (first.Length > 0 && last.Length > 0) return $"{char.ToUpperInvariant(first[0])}{char.ToUpperInvariant(last[0])}";
        if (first.Length > 0) return char.ToUpperInvariant(first[0]).ToString();
        return email.Length > 0 ? char.ToUpperInvariant(email[0]).ToString() : "?";
    }
}

/// <summary>Dates as an admin reads them: relative when recent, the full UTC time on hover.</summary>
public static class When
{
    public static string Relative(DateTimeOffset? at, DateTimeOffset now)
    {
        if (at is not { } value) return "Never";
        var span = now - value;
        if (span < TimeSpan.FromMinutes(1)) return "Just now";
        if (span < TimeSpan.FromHours(1)) return $"{(int)span.TotalMinutes} min ago";
        if (span < TimeSpan.FromDays(1)) return $"{(int)span.TotalHours} h ago";
        if (span < TimeSpan.FromDays(30)) return $"{(int)span.TotalDays} d ago";
        return value.UtcDateTime.ToString("d MMM yyyy", System.Globalization.CultureInfo.InvariantCulture);
    }

    public static string Exact(DateTimeOffset? at) =>
        at is { } value ? value.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture) : "";
}
