namespace Orgstack.Core.Common;

/// <summary>Who performs a use case: a signed-in user, from an address, within a request.</summary>
public sealed record Actor(string UserUid, string Email, string? RemoteAddress = null, string? RequestId = null, string? SessionId = null)
{
    /// <summary>The operator at the command line, or the server itself (bootstrap).</summary>
    public static Actor System(string? remoteAddress = null) => new("system", "system", remoteAddress);

    public bool IsSystem => UserUid == "system";
}
