namespace Orgstack.Core.Accounts;

/// <summary>A person's account, shared by every organization they belong to.</summary>
public sealed class User
{
    public required string Uid { get; init; }
    public required string Email { get; set; }
    public string FirstName { get; set; } = "";
    public string LastName { get; set; } = "";
    public string Company { get; set; } = "";
    public string? PasswordHash { get; set; }
    public bool Active { get; set; } = true;
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? LastLoginAt { get; set; }

    public int FailedAttempts { get; set; }
    public DateTimeOffset? LockedAt { get; set; }
    /// <summary>Set by an admin's forced reset: no other action works until the password is changed.</summary>
    public bool MustChangePassword { get; set; }

    /// <summary>TOTP secret, encrypted with Data Protection; null when not enrolled.</summary>
    public string? TotpSecret { get; set; }
    public bool TotpEnabled { get; set; }
    /// <summary>The last accepted TOTP time step: a code is accepted once, on every node.</summary>
    public long? TotpLastStep { get; set; }
    /// <summary>Set by an admin's MFA reset: the user must enrol again before anything else works.</summary>
    public bool MustEnrollMfa { get; set; }

    public string DisplayName => $"{FirstName} {LastName}".Trim();
}

/// <summary>A signed-in session (the API's authtoken). Only the token's hash is stored.</summary>
public sealed class Session
{
    public required string TokenHash { get; init; }
    public required string Uid { get; init; }
    public required string UserUid { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset LastSeenAt { get; set; }
    public DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? RevokedAt { get; set; }
    /// <summary>"password" or "sso".</summary>
    public string Method { get; init; } = "password";
    /// <summary>For SSO sessions: the organization whose identity provider signed the user in.</summary>
    public string? SsoOrganizationUid { get; init; }
    public string? RemoteAddress { get; init; }
    public string? UserAgent { get; init; }
}

public enum TokenPurpose
{
    Invitation,
    PasswordReset,
    MfaReset,
    OwnershipTransfer,
    Activation,
    Setup,
}

/// <summary>
/// A single-use secret sent by email. Bound to its purpose and subject; consumed by one conditional update.
/// </summary>
public sealed class ActionToken
{
    public required string TokenHash { get; init; }
    public required string Uid { get; init; }
    public TokenPurpose Purpose { get; init; }
    public string? UserUid { get; init; }
    public string? OrganizationUid { get; init; }
    public string? Email { get; init; }
    /// <summary>The membership (invitation) or ownership transfer the token acts on.</summary>
    public string? SubjectUid { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public DateTimeOffset? UsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>A hashed single-use TOTP recovery code.</summary>
public sealed class RecoveryCode
{
    public required string Uid { get; init; }
    public required string UserUid { get; init; }
    public required string CodeHash { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? UsedAt { get; set; }
}
