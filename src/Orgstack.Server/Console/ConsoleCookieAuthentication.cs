using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Console;

/// <summary>
/// Resolves the console caller from the session cookie, against the database on every request, so a sign-out or a
/// revoked session is refused at once on every node. Runs only for console paths: the JSON API never accepts the
/// cookie, so a cross-site form cannot reach it with the browser's credentials.
/// </summary>
public sealed class ConsoleCookieAuthentication(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, SessionTokens tokens)
    {
        var token = ConsoleCookies.Read(context.Request);
        if (token is not null && context.Actor() is null)
        {
            var found = await tokens.ValidateAsync(token, context.RequestAborted);
            if (found is not null)
            {
                SessionAuthentication.SignIn(context, found);
            }
            else if (!context.Response.HasStarted)
            {
                // A dead cookie is dropped so the browser stops sending it.
                ConsoleCookies.Delete(context.Response);
            }
        }
        await next(context);
    }
}
