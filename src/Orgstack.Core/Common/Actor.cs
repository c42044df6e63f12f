namespace Orgstack.Core.Common;

/// <summary>Who performs a use case: a signed-in user, from an address, within a request.</summary>
public sealed record Actor(string UserUid, string Email, string? RemoteAddress = null, string? RequestId = null, string? SessionId = null)
{
    /// <summary>The operator at the command line, or the server itself (bootstrap).</summary>
    public static Actor System(string? remoteAddress = null) => new("system", "system", remoteAddress);

    public bool IsSystem => UserUid == "system";

    /// <summary>How the session was signed in ("password" or "sso"); null when there is no session.</summary>
    public string? SessionMethod { get; init; }

    /// <summary>For an SSO session: the organization whose identity provider signed the user in.</summary>
    public string? SsoOrganizationUid { get; init; }

    public bool SignedInBySsoOf(string organizationUid) => SessionMethod == "sso" && SsoOrganizationUid == organizationUid;
}
