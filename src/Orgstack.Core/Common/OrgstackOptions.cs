namespace Orgstack.Core.Common;

/// <summary>Every setting of Orgstack, bound from the "Orgstack" configuration section (env: Orgstack__...).</summary>
public sealed class OrgstackOptions
{
    public const string Section = "Orgstack";

    /// <summary>Where the SQLite file, the mail drop folder and other local state live.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>The address users reach the server at; every emailed link starts with it (never taken from the request).</summary>
    public string PublicBaseUrl { get; set; } = "http://localhost:5080";

    public DatabaseOptions Database { get; set; } = new();
    public InvitationOptions Invitations { get; set; } = new();
    public SessionOptions Sessions { get; set; } = new();
    public PasswordOptions Passwords { get; set; } = new();
    public LockoutOptions Lockout { get; set; } = new();
    public MailOptions Mail { get; set; } = new();
    public BulkOptions Bulk { get; set; } = new();
    public RateLimitOptions RateLimits { get; set; } = new();
    public SsoOptions Sso { get; set; } = new();
}

/// <summary>Single sign-on (SAML 2.0 and OpenID Connect) settings.</summary>
public sealed class SsoOptions
{
    /// <summary>Identity provider URLs (OIDC issuer, discovery, JWKS, token endpoint) must be https. Off only for tests.</summary>
    public bool RequireHttps { get; set; } = true;
    /// <summary>
    /// Lets the server reach identity providers on loopback and private addresses (metadata, discovery, keys, tokens).
    /// Off: such addresses are refused (SSRF guard). On only for tests with IdPs on 127.0.0.1.
    /// </summary>
    public bool AllowLocalIdp { get; set; }
    /// <summary>Tolerated clock difference with identity providers.</summary>
    public int ClockSkewSeconds { get; set; } = 120;
    /// <summary>How long a started sign-in may take at the identity provider.</summary>
    public int RequestMinutes { get; set; } = 10;
    /// <summary>An ID token signed with an unknown key refetches the issuer's keys at most this often.</summary>
    public int KeyRefetchSeconds { get; set; } = 30;
}

public sealed class DatabaseOptions
{
    /// <summary>"sqlite" (default, a file under the data directory) or "postgres".</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>For PostgreSQL the Npgsql connection string; for SQLite optional (defaults to &lt;data&gt;/orgstack.db).</summary>
    public string? ConnectionString { get; set; }
}

public sealed class InvitationOptions
{
    public int ExpiryDays { get; set; } = 7;
    public int OwnershipTransferExpiryHours { get; set; } = 72;
    /// <summary>Most addresses one invite request may carry.</summary>
    public int MaxAddressesPerRequest { get; set; } = 10_000;
}

public sealed class SessionOptions
{
    public int IdleMinutes { get; set; } = 60 * 24;
    public int AbsoluteHours { get; set; } = 24 * 14;
}

public sealed class PasswordOptions
{
    /// <summary>PBKDF2-HMAC-SHA512 iterations (OWASP: 220,000). Tests lower it; hashes made weaker are upgraded at sign-in.</summary>
    public int Iterations { get; set; } = 220_000;
    public int MinimumLength { get; set; } = 8;
    public int MaximumLength { get; set; } = 256;
    public int ResetLinkMinutes { get; set; } = 60;
    /// <summary>Hash computations allowed at once on a node; 0 = one per processor.</summary>
    public int MaxConcurrentHashes { get; set; }
    /// <summary>Lifetime of the emailed MFA-reset link.</summary>
    public int MfaResetLinkMinutes { get; set; } = 15;
}

public sealed class LockoutOptions
{
    public int MaxFailedAttempts { get; set; } = 5;
    /// <summary>0: a locked account stays locked until an admin unlocks it.</summary>
    public int AutoUnlockMinutes { get; set; }
    /// <summary>How long an attempt waits for in-flight attempts of the same account to settle before it is refused.</summary>
    public int InFlightWaitSeconds { get; set; } = 30;
}

public sealed class MailOptions
{
    public string From { get; set; } = "Orgstack <no-reply@orgstack.local>";
    /// <summary>Without an SMTP host, mail is written as .eml files to this folder (default &lt;data&gt;/mail).</summary>
    public string? DropDirectory { get; set; }
    public SmtpOptions Smtp { get; set; } = new();
    public int MaxAttempts { get; set; } = 8;
    public int PollMilliseconds { get; set; } = 500;
    /// <summary>First retry delay; each further attempt waits twice as long (capped at one hour).</summary>
    public int RetryBaseMilliseconds { get; set; } = 30_000;
    /// <summary>Messages one node claims per poll.</summary>
    public int BatchSize { get; set; } = 20;
}

public sealed class SmtpOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 25;
    public bool UseTls { get; set; }
    public string? Username { get; set; }
    public string? Password { get; set; }
    public int TimeoutSeconds { get; set; } = 30;
}

public sealed class BulkOptions
{
    /// <summary>Most users one bulk admin action (unlock, reset, remove…) may name, as in the console.</summary>
    public int MaxUsersPerAction { get; set; } = 10;
}

/// <summary>
/// Fixed-window limits shared by every node (stored in the database). Defaults leave room for the csdx CLI, which
/// sends a refused login 4 times (1 try + 3 retries).
/// </summary>
public sealed class RateLimitOptions
{
    public bool Enabled { get; set; } = true;
    public int WindowSeconds { get; set; } = 60;
    /// <summary>Sign-in requests per client address per window (not applied when the server sees no address).</summary>
    public int SignInPerAddress { get; set; } = 120;
    /// <summary>Sign-in requests naming one account per window.</summary>
    public int SignInPerAccount { get; set; } = 30;
    /// <summary>Forgot/reset-password and MFA-reset requests per client address per window.</summary>
    public int ResetPerAddress { get; set; } = 20;
    /// <summary>Forgot-password requests naming one account per window.</summary>
    public int ResetPerAccount { get; set; } = 5;
}
