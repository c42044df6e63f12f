using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;

namespace Orgstack.Core.Sso;

/// <summary>
/// Decides whether a session may reach an organization, given the organization's single sign-on settings.
/// <list type="bullet">
/// <item>An SSO session reaches only the organization whose identity provider issued it.</item>
/// <item>With SSO enabled and strict, only that organization's SSO sessions get in.</item>
/// <item>With SSO enabled and not strict, other sessions get in only for members allowed access without SSO (and the Owner).</item>
/// </list>
/// </summary>
public static class SsoGate
{
    public static readonly Error SsoRequired =
        Error.Forbidden("sso.required", "This organization requires you to sign in through its single sign-on.");

    public static async Task<Error?> CheckAsync(OrgstackDbContext db, Membership membership, Actor actor, CancellationToken ct)
    {
        if (actor.SessionMethod == "sso")
            return actor.SsoOrganizationUid == membership.OrganizationUid ? null : CommonErrors.OrganizationNotFound;
        var config = await db.SsoConfigurations.AsNoTracking()
            .Where(c => c.OrganizationUid == membership.OrganizationUid && c.Enabled)
            .Select(c => new { c.Strict })
            .FirstOrDefaultAsync(ct);
        return Check(membership, actor, config?.Strict);
    }

    /// <summary>The same decision from an already-read setting: <paramref name="strict"/> is null when SSO is off.</summary>
    public static Error? Check(Membership membership, Actor actor, bool? strict)
    {
        if (actor.SessionMethod == "sso")
            return actor.SsoOrganizationUid == membership.OrganizationUid ? null : CommonErrors.OrganizationNotFound;
        if (strict is null) return null;
        if (strict.Value) return SsoRequired;
        return membership.AccessWithoutSso || membership.IsOwner ? null : SsoRequired;
    }
}
