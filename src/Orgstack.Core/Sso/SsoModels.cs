namespace Orgstack.Core.Sso;

public enum SsoProtocol
{
    Saml = 0,
    Oidc = 1,
}

/// <summary>
/// An organization's single sign-on connection (at most one per organization). Off until an Owner or Admin turns it
/// on, which requires a successful test sign-in first.
/// </summary>
public sealed class SsoConfiguration
{
    public required string OrganizationUid { get; init; }
    public SsoProtocol Protocol { get; set; }
    /// <summary>Enforced: members must sign in through the IdP (unless allowed without SSO and not strict).</summary>
    public bool Enabled { get; set; }
    /// <summary>Strict: nobody reaches the organization without an SSO session of this organization.</summary>
    public bool Strict { get; set; }
    /// <summary>Set by a successful test sign-in of the current settings; cleared when the IdP settings change.</summary>
    public DateTimeOffset? TestedAt { get; set; }

    // SAML
    public string? SamlIdpEntityId { get; set; }
    public string? SamlIdpSsoUrl { get; set; }
    /// <summary>Base64 DER certificates, separated by newlines (several for rollover).</summary>
    public string? SamlIdpCertificates { get; set; }

    // OIDC
    public string? OidcIssuer { get; set; }
    public string? OidcClientId { get; set; }
    /// <summary>Encrypted with Data Protection (purpose Orgstack.Sso.ClientSecret).</summary>
    public string? OidcClientSecret { get; set; }
    public string OidcScopes { get; set; } = "openid email profile";

    /// <summary>Where the SAML IdP metadata was imported from (shown again; fetched only when an admin imports).</summary>
    public string? SamlIdpMetadataUrl { get; set; }

    // Just-in-time membership
    /// <summary>A verified address of a listed domain without an invitation joins as a Member on first SSO sign-in.</summary>
    public bool JitEnabled { get; set; }
    /// <summary>Lower-case domains confirmed by an Owner or Admin, one per line (exact match, no subdomains).</summary>
    public string? JitDomains { get; set; }

    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>An IdP identity (issuer + subject or NameID) bound to an Orgstack account, per organization.</summary>
public sealed class ExternalIdentity
{
    public required string Uid { get; init; }
    public required string OrganizationUid { get; init; }
    public required string Issuer { get; init; }
    public required string Subject { get; init; }
    public required string UserUid { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A consumed SAML assertion ID, kept until the assertion expires: a second use fails on every node.</summary>
public sealed class SamlAssertionUse
{
    public required string Key { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
}

/// <summary>
/// A sign-in started by this server (SAML AuthnRequest ID or OIDC state). Consumed once by a conditional update.
/// Only hashes of the state and PKCE verifier are stored, and the browser binding (a cookie's hash).
/// </summary>
public sealed class SsoLoginRequest
{
    /// <summary>SHA-256 of the OIDC state or of the SAML request ID.</summary>
    public required string RequestHash { get; init; }
    public required string OrganizationUid { get; init; }
    public SsoProtocol Protocol { get; init; }
    /// <summary>SHA-256 of the correlation cookie value: the response must come back to the same browser.</summary>
    public required string BrowserHash { get; init; }
    public string? Nonce { get; init; }
    /// <summary>PKCE verifier, encrypted with Data Protection (it is sent to the token endpoint).</summary>
    public string? PkceVerifier { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? UsedAt { get; set; }
}
