using Orgstack.Core.Common;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Console;

/// <summary>The actor for a visitor without a session (link pages), as the API's anonymous endpoints build it.</summary>
public static class AnonymousVisitor
{
    public static Actor Of(HttpContext http) => new("anonymous", "anonymous", http.RemoteAddress(), http.TraceIdentifier);
}
