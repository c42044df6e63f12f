using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Core.Members;
using Orgstack.Core.Organizations;

namespace Orgstack.Core.Sso;

public sealed record SsoView(SsoConfiguration? Configuration, string SpEntityId, string SpAcsUrl, string OidcRedirectUri, IReadOnlyList<X509Certificate2> Certificates);

/// <summary>An organization's SSO settings, for its Owner or Admins.</summary>
public sealed class GetSsoSettings(OrgstackDbContext db, OrgAccess access, OrgstackOptions options)
{
    public async Task<Result<SsoView>> HandleAsync(string organizationUid, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(organizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        var config = await db.SsoConfigurations.AsNoTracking().FirstOrDefaultAsync(c => c.OrganizationUid == organizationUid, ct);
        return View(options, organizationUid, config);
    }

    public static SsoView View(OrgstackOptions options, string organizationUid, SsoConfiguration? config)
    {
        var spBase = $"{options.PublicBaseUrl.TrimEnd('/')}/sso/{organizationUid}";
        return new SsoView(config, spBase + "/saml/metadata", spBase + "/saml/acs", spBase + "/oidc/callback",
            SamlServiceProvider.ParseCertificates(config?.SamlIdpCertificates));
    }
}

public sealed record UpdateSsoRequest(
    string OrganizationUid,
    string? Protocol,
    bool? Enabled,
    bool? Strict,
    string? SamlIdpEntityId,
    string? SamlIdpSsoUrl,
    IReadOnlyList<string>? SamlIdpCertificates,
    string? OidcIssuer,
    string? OidcClientId,
    string? OidcClientSecret,
    string? OidcScopes,
    string? SamlIdpMetadataUrl = null,
    string? SamlIdpMetadataXml = null,
    bool? JitEnabled = null,
    IReadOnlyList<string>? JitDomains = null);

/// <summary>
/// Creates or changes an organization's SSO settings. Changing the identity provider clears the tested mark and is
/// refused while SSO is enforced; turning SSO on needs a successful test sign-in of the current settings.
/// </summary>
public sealed class UpdateSsoSettings(OrgstackDbContext db, OrgAccess access, OrgstackOptions options, IDataProtectionProvider protection,
    SamlMetadataImport metadataImport, TimeProvider clock)
{
    public static readonly Error JitWithoutDomains = Error.Validation("sso.jit_domains",
        "Just-in-time membership needs at least one confirmed email domain.", "jit_domains");
    public static readonly Error BadJitDomain = Error.Validation("sso.jit_domains",
        "Each domain must be a plain domain name such as example.com (at most 50 domains).", "jit_domains");

    public static readonly Error NotTested = Error.Validation("sso.not_tested",
        "Sign in through the identity provider once (a test) before turning single sign-on on.", "enabled");
    public static readonly Error ChangeWhileEnabled = Error.Conflict("sso.enabled",
        "Turn single sign-on off before changing its identity provider settings.");

    public async Task<Result<SsoView>> HandleAsync(UpdateSsoRequest request, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(request.OrganizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        // Just-in-time membership lets people nobody invited join: only the Owner decides which domains may.
        if ((request.JitEnabled is not null || request.JitDomains is not null) && !admin.Value!.IsOwner) return CommonErrors.NotOwner;
        string? jitDomains = null;
        if (request.JitDomains is not null)
        {
            var domains = request.JitDomains.Select(d => d.Trim().TrimStart('@').ToLowerInvariant()).Where(d => d.Length > 0).Distinct().ToList();
            if (domains.Count > 50 || domains.Any(d => !IsDomain(d))) return BadJitDomain;
            jitDomains = string.Join('\n', domains);
        }
        string? metadataUrl = null;
        if (request.SamlIdpMetadataUrl is not null || request.SamlIdpMetadataXml is not null)
        {
            var imported = request.SamlIdpMetadataUrl is { } url
                ? await metadataImport.FetchAsync(url.Trim(), ct)
                : SamlMetadataImport.Parse(request.SamlIdpMetadataXml!);
            if (!imported.IsSuccess) return imported.Error!;
            metadataUrl = request.SamlIdpMetadataUrl?.Trim();
            // Fields given explicitly win over the metadata.
            request = request with
            {
                SamlIdpEntityId = request.SamlIdpEntityId ?? imported.Value!.EntityId,
                SamlIdpSsoUrl = request.SamlIdpSsoUrl ?? imported.Value!.SsoUrl,
                SamlIdpCertificates = request.SamlIdpCertificates ?? imported.Value!.Certificates,
            };
        }
        var now = clock.GetUtcNow();
        var config = await db.SsoConfigurations.FirstOrDefaultAsync(c => c.OrganizationUid == request.OrganizationUid, ct);
        var isNew = config is null;
        config ??= new SsoConfiguration { OrganizationUid = request.OrganizationUid, CreatedAt = now, UpdatedAt = now };
        var wasEnabled = config.Enabled;
        var changedIdp = false;

        if (request.Protocol is not null)
        {
            SsoProtocol protocol;
            if (request.Protocol == "saml") protocol = SsoProtocol.Saml;
            else if (request.Protocol == "oidc") protocol = SsoProtocol.Oidc;
            else return Error.Validation("sso.protocol", "The protocol must be \"saml\" or \"oidc\".", "protocol");
            changedIdp |= isNew || protocol != config.Protocol;
            config.Protocol = protocol;
        }
        else if (isNew) return Error.Validation("sso.protocol", "The protocol must be \"saml\" or \"oidc\".", "protocol");

        if (request.SamlIdpEntityId is not null)
        {
            if (request.SamlIdpEntityId.Trim().Length is 0 or > 500) return Error.Validation("sso.saml_entity_id", "The IdP entity ID is required (at most 500 characters).", "idp_entity_id");
            changedIdp |= config.SamlIdpEntityId != request.SamlIdpEntityId.Trim();
            config.SamlIdpEntityId = request.SamlIdpEntityId.Trim();
        }
        if (request.SamlIdpSsoUrl is not null)
        {
            if (!IsIdpUrl(request.SamlIdpSsoUrl)) return Error.Validation("sso.saml_sso_url", "The IdP sign-in URL must be an absolute https URL.", "idp_sso_url");
            changedIdp |= config.SamlIdpSsoUrl != request.SamlIdpSsoUrl;
            config.SamlIdpSsoUrl = request.SamlIdpSsoUrl;
        }
        if (request.SamlIdpCertificates is not null)
        {
            if (request.SamlIdpCertificates.Count is 0 or > 5) return Error.Validation("sso.saml_certificates", "Give one to five IdP signing certificates.", "idp_certificates");
            var encoded = new List<string>();
            foreach (var text in request.SamlIdpCertificates)
            {
                var der = CertificateDer(text);
                if (der is null) return Error.Validation("sso.saml_certificates", "An IdP signing certificate is not a valid X.509 certificate (PEM or base64).", "idp_certificates");
                encoded.Add(Convert.ToBase64String(der));
            }
            var joined = string.Join('\n', encoded);
            changedIdp |= config.SamlIdpCertificates != joined;
            config.SamlIdpCertificates = joined;
        }
        if (request.OidcIssuer is not null)
        {
            if (!IsIdpUrl(request.OidcIssuer)) return Error.Validation("sso.oidc_issuer", "The issuer must be an absolute https URL.", "issuer");
            changedIdp |= config.OidcIssuer != request.OidcIssuer;
            config.OidcIssuer = request.OidcIssuer;
        }
        if (request.OidcClientId is not null)
        {
            if (request.OidcClientId.Length is 0 or > 255) return Error.Validation("sso.oidc_client_id", "The client ID is required (at most 255 characters).", "client_id");
            changedIdp |= config.OidcClientId != request.OidcClientId;
            config.OidcClientId = request.OidcClientId;
        }
        if (request.OidcClientSecret is not null)
        {
            if (request.OidcClientSecret.Length is 0 or > 1000) return Error.Validation("sso.oidc_client_secret", "The client secret is required (at most 1000 characters).", "client_secret");
            config.OidcClientSecret = protection.CreateProtector(OidcRelyingParty.SecretPurpose).Protect(request.OidcClientSecret);
            changedIdp = true;
        }
        if (request.OidcScopes is not null)
        {
            var scopes = request.OidcScopes.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (!scopes.Contains("openid") || request.OidcScopes.Length > 200 || scopes.Any(s => !s.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-' or ':' or '.')))
                return Error.Validation("sso.oidc_scopes", "The scopes must include openid (letters, digits, _ - : . only).", "scopes");
            config.OidcScopes = string.Join(' ', scopes);
        }

        if (metadataUrl is not null) config.SamlIdpMetadataUrl = metadataUrl;
        else if (request.SamlIdpMetadataXml is not null) config.SamlIdpMetadataUrl = null;
        if (jitDomains is not null) config.JitDomains = jitDomains.Length == 0 ? null : jitDomains;
        if (request.JitEnabled is { } jit) config.JitEnabled = jit;
        if (config.JitEnabled && config.JitDomains is null) return JitWithoutDomains;

        var enabled = request.Enabled ?? config.Enabled;
        if (changedIdp && wasEnabled && enabled) return ChangeWhileEnabled;
        if (changedIdp) config.TestedAt = null;
        if (config.Protocol == SsoProtocol.Saml && (config.SamlIdpEntityId is null || config.SamlIdpSsoUrl is null || config.SamlIdpCertificates is null))
            return Error.Validation("sso.saml_incomplete", "SAML needs the IdP entity ID, sign-in URL and at least one signing certificate.", "saml");
        if (config.Protocol == SsoProtocol.Oidc && (config.OidcIssuer is null || config.OidcClientId is null || config.OidcClientSecret is null))
            return Error.Validation("sso.oidc_incomplete", "OpenID Connect needs the issuer, client ID and client secret.", "oidc");
        if (enabled && config.TestedAt is null) return NotTested;
        config.Enabled = enabled;
        if (request.Strict is { } strict) config.Strict = strict;
        config.UpdatedAt = now;
        if (isNew) db.SsoConfigurations.Add(config);

        db.AuditEvents.Add(Audit.Audit.Event(actor, now, request.OrganizationUid, "sso", "update_settings", "organization", request.OrganizationUid, null,
            new
            {
                protocol = config.Protocol.ToString().ToLowerInvariant(), enabled = config.Enabled, strict = config.Strict, idp_changed = changedIdp,
                jit = config.JitEnabled, jit_domains = config.JitDomains?.Split('\n') ?? [], metadata_url = metadataUrl,
            }));
        await db.SaveChangesAsync(ct);
        return GetSsoSettings.View(options, request.OrganizationUid, config);
    }

    private bool IsIdpUrl(string value) => SsoOutbound.IsIdpUrl(options, value);

    /// <summary>A plain DNS name with at least two labels: letters, digits and inner hyphens (IDNs in their xn-- form).</summary>
    public static bool IsDomain(string value) =>
        value.Length <= 253 && value.Contains('.') && value.Split('.').All(label =>
            label.Length is > 0 and <= 63 && label.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            && label[0] != '-' && label[^1] != '-');

    private static byte[]? CertificateDer(string text)
    {
        try
        {
            var trimmed = text.Trim();
            var der = trimmed.StartsWith("-----BEGIN", StringComparison.Ordinal)
                ? X509Certificate2.CreateFromPem(trimmed).RawData
                : Convert.FromBase64String(string.Concat(trimmed.Where(c => !char.IsWhiteSpace(c))));
            using var certificate = X509CertificateLoader.LoadCertificate(der);
            using var key = certificate.GetRSAPublicKey();
            return key is null || key.KeySize < 2048 ? null : certificate.RawData;
        }
        catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return null;
        }
    }
}

/// <summary>
/// When "access without SSO" may be granted: the organization has an SSO connection (enabled or still being set up) and
/// strict mode is off. Without SSO the flag means nothing; under strict mode nobody gets in without SSO, so granting it
/// would only mislead. Taking it away (false) is always allowed.
/// </summary>
public static class SsoAccessRule
{
    public static readonly Error NoSso = Error.Validation("sso.access_without_sso.no_sso",
        "\"Access without SSO\" applies only to organizations with single sign-on.", "access_without_sso",
        "needs single sign-on to be set up for the organization.");
    public static readonly Error Strict = Error.Validation("sso.access_without_sso.strict",
        "\"Access without SSO\" cannot be granted while strict mode is on: every member must sign in through the identity provider.",
        "access_without_sso", "is not available in strict mode.");
    public static readonly Error NotOnYourself = Error.Forbidden("sso.access_without_sso.self",
        "You cannot change your own single sign-on requirement; ask another Admin or the Owner.");

    public static async Task<Error?> CheckAsync(OrgstackDbContext db, string organizationUid, CancellationToken ct)
    {
        var config = await db.SsoConfigurations.AsNoTracking().Where(c => c.OrganizationUid == organizationUid)
            .Select(c => new { c.Strict }).FirstOrDefaultAsync(ct);
        if (config is null) return NoSso;
        return config.Strict ? Strict : null;
    }
}

/// <summary>
/// Marks a member as allowed (or not) to reach the organization without SSO (while strict mode is off). Granting follows
/// <see cref="SsoAccessRule"/>; nobody changes their own flag.
/// </summary>
public sealed class SetMemberSsoAccess(OrgstackDbContext db, OrgAccess access, TimeProvider clock)
{
    public async Task<Result<Membership>> HandleAsync(string organizationUid, string shareUid, bool allow, Actor actor, CancellationToken ct)
    {
        var admin = await access.AdminAsync(organizationUid, actor, ct);
        if (!admin.IsSuccess) return admin.Error!;
        if (!Ids.LooksValid(shareUid)) return MemberErrors.ShareNotFound;
        var membership = await db.Memberships.FirstOrDefaultAsync(m => m.Uid == shareUid && m.OrganizationUid == organizationUid, ct);
        if (membership is null) return MemberErrors.ShareNotFound;
        if (membership.UserUid is not null && membership.UserUid == actor.UserUid) return SsoAccessRule.NotOnYourself;
        if (allow && await SsoAccessRule.CheckAsync(db, organizationUid, ct) is { } refused) return refused;
        var now = clock.GetUtcNow();
        if (membership.AccessWithoutSso != allow)
        {
            membership.AccessWithoutSso = allow;
            membership.UpdatedAt = now;
            db.AuditEvents.Add(Audit.Audit.Event(actor, now, organizationUid, "sso", allow ? "allow_access_without_sso" : "require_sso",
                "membership", membership.Uid, membership.Email));
            await db.SaveChangesAsync(ct);
        }
        return membership;
    }
}

/// <summary>
/// "Sign in with SSO": which organization's identity provider to send a visitor to, from an organization ID or a work
/// email. Only the organizations' own settings are consulted (SSO on; the email's domain among the Owner's listed
/// domains, exactly one organization), never accounts or memberships, so the answer reveals nothing about whether an
/// account exists.
/// </summary>
public sealed class FindSsoOrganization(OrgstackDbContext db)
{
    public sealed record Found(string OrganizationUid, SsoProtocol Protocol);

    public async Task<Found?> HandleAsync(string? identifier, CancellationToken ct)
    {
        var text = identifier?.Trim() ?? "";
        if (text.Length is 0 or > 254) return null;
        if (Ids.LooksValid(text))
            return await db.SsoConfigurations.AsNoTracking().Where(c => c.OrganizationUid == text && c.Enabled)
                .Select(c => new Found(c.OrganizationUid, c.Protocol)).FirstOrDefaultAsync(ct);
        if (!Emails.IsValid(text)) return null;
        var email = Emails.Normalize(text);
        var domain = email[(email.LastIndexOf('@') + 1)..];
        if (!UpdateSsoSettings.IsDomain(domain)) return null;
        var line = "\n" + domain + "\n";
        var matches = await db.SsoConfigurations.AsNoTracking()
            .Where(c => c.Enabled && c.JitDomains != null && ("\n" + c.JitDomains + "\n").Contains(line))
            .Select(c => new Found(c.OrganizationUid, c.Protocol)).Take(2).ToListAsync(ct);
        return matches.Count == 1 ? matches[0] : null;
    }
}

/// <summary>
/// Operator-only break-glass for an identity provider outage: turns an organization's strict mode off (the Owner, and
/// members allowed access without SSO, can sign in with a password again) or single sign-on off altogether. Audited as
/// the operator. The admin API and console keep their own rules (an admin must be signed in to change SSO, which in
/// strict mode needs the IdP).
/// </summary>
public sealed class OperatorRelaxSso(OrgstackDbContext db, TimeProvider clock)
{
    public static readonly Error NotConfigured = Error.NotFound("sso.not_configured", "This organization has no single sign-on settings.");

    public sealed record Outcome(string OrganizationUid, bool Enabled, bool Strict, bool Changed);

    public async Task<Result<Outcome>> HandleAsync(string organizationUid, bool strictOnly, Actor actor, CancellationToken ct)
    {
        if (!await db.Organizations.AnyAsync(o => o.Uid == organizationUid, ct)) return OrganizationErrors.NotFound;
        var config = await db.SsoConfigurations.FirstOrDefaultAsync(c => c.OrganizationUid == organizationUid, ct);
        if (config is null) return NotConfigured;
        var before = new { enabled = config.Enabled, strict = config.Strict };
        config.Strict = false;
        if (!strictOnly) config.Enabled = false;
        var changed = before.enabled != config.Enabled || before.strict != config.Strict;
        if (changed)
        {
            var now = clock.GetUtcNow();
            config.UpdatedAt = now;
            db.AuditEvents.Add(Audit.Audit.Event(actor, now, organizationUid, "sso", strictOnly ? "operator_strict_off" : "operator_disable",
                "organization", organizationUid, null, new { from = before, to = new { enabled = config.Enabled, strict = config.Strict } }));
            await db.SaveChangesAsync(ct);
        }
        return new Outcome(organizationUid, config.Enabled, config.Strict, changed);
    }
}
