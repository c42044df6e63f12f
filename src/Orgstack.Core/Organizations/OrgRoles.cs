using System.Security.Cryptography;
using System.Text;

namespace Orgstack.Core.Organizations;

/// <summary>
/// The fixed organization roles as the Contentstack API shows them: each organization has an "admin" and a "member"
/// role with a stable uid derived from the organization's uid (no table needed, never editable). The Owner is an
/// admin flagged <c>is_owner</c>.
/// </summary>
public static class OrgRoles
{
    public static string UidFor(string organizationUid, OrgRole role)
    {
        // Derived by a hash, and asked for on every roles answer and for every row of a users page: kept once computed
        // (a bounded cache; it starts over past 10,000 organizations' roles).
        if (Derived.TryGetValue((organizationUid, role), out var uid)) return uid;
        uid = "blt" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{organizationUid}:{role}")))[..16];
        if (Derived.Count >= 10_000) Derived.Clear();
        Derived.TryAdd((organizationUid, role), uid);
        return uid;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Organization, OrgRole Role), string> Derived = new();

    public static string NameOf(OrgRole role) => role switch
    {
        OrgRole.Owner => "owner",
        OrgRole.Admin => "admin",
        _ => "member",
    };

    /// <summary>The role uid shown on a share: the Owner shows as admin (plus <c>is_owner</c>).</summary>
    public static string ShareRoleUid(string organizationUid, OrgRole role) =>
        UidFor(organizationUid, role == OrgRole.Owner ? OrgRole.Admin : role);

    /// <summary>Reads a role given by uid (this organization's) or by name ("admin", "member", "owner").</summary>
    public static OrgRole? Parse(string organizationUid, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        foreach (var role in new[] { OrgRole.Admin, OrgRole.Member, OrgRole.Owner })
            if (string.Equals(value, UidFor(organizationUid, role), StringComparison.Ordinal)
                || string.Equals(value.Trim(), NameOf(role), StringComparison.OrdinalIgnoreCase))
                return role;
        return null;
    }
}
