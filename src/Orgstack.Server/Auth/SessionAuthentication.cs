using Orgstack.Core.Accounts;
using Orgstack.Core.Common;

namespace Orgstack.Server.Auth;

/// <summary>
/// Resolves the caller from the <c>authtoken</c> header (or <c>authorization</c>, raw or Bearer, as the SDK sends it),
/// checked against the database on every request so revocation is immediate on every node.
/// </summary>
public sealed class SessionAuthentication(RequestDelegate next)
{
    public const string ActorKey = "orgstack.actor";
    public const string UserKey = "orgstack.user";

    public async Task InvokeAsync(HttpContext context)
    {
        var token = TokenFrom(context.Request);
        if (token is not null)
        {
            // Resolved only when a token came: a request without one (console pages, sign-in, static files, 404s) rents
            // no pooled DbContext here and creates no DI scope for it.
            var tokens = context.RequestServices.GetRequiredService<SessionTokens>();
            if (await tokens.ValidateAsync(token, OrganizationInPath(context.Request.Path), context.RequestAborted) is { } signedIn)
                SignIn(context, signedIn);
        }
        await next(context);
    }

    /// <summary>Makes <paramref name="signedIn"/> the request's caller.</summary>
    public static void SignIn(HttpContext context, SignedIn signedIn)
    {
        context.Items[UserKey] = signedIn;
        context.Items[ActorKey] = new Actor(signedIn.UserUid, signedIn.Email, context.Connection.RemoteIpAddress?.ToString(),
            context.TraceIdentifier, signedIn.SessionUid)
        {
            SessionMethod = signedIn.Method,
            SsoOrganizationUid = signedIn.SsoOrganizationUid,
        };
    }

    /// <summary>
    /// The organization of an <c>/v3/organizations/{uid}/…</c> path, so its access row can be read with the session in one
    /// statement; the endpoint's access check still decides (Core's <c>OrgAccess</c>).
    /// </summary>
    public static string? OrganizationInPath(PathString path)
    {
        if (!path.StartsWithSegments("/v3/organizations", StringComparison.OrdinalIgnoreCase, out var rest) || !rest.HasValue) return null;
        var value = rest.Value.AsSpan(1);
        var end = value.IndexOf('/');
        var segment = end < 0 ? value : value[..end];
        return Ids.LooksValid(segment) ? segment.ToString() : null;
    }

    public static string? TokenFrom(HttpRequest request)
    {
        if (request.Headers.TryGetValue("authtoken", out var authtoken) && !string.IsNullOrWhiteSpace(authtoken))
            return authtoken.ToString().Trim();
        if (request.Headers.TryGetValue("authorization", out var authorization) && !string.IsNullOrWhiteSpace(authorization))
        {
            var value = authorization.ToString().Trim();
            return value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim() : value;
        }
        return null;
    }
}

public static class CallerExtensions
{
    public static Actor? Actor(this HttpContext context) => context.Items[SessionAuthentication.ActorKey] as Actor;

    public static SignedIn? SignedInUser(this HttpContext context) => context.Items[SessionAuthentication.UserKey] as SignedIn;

    /// <summary>Rejects requests without a valid session with 401 in Contentstack's shape.</summary>
    public static TBuilder RequireSession<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (invocation, next) =>
            invocation.HttpContext.Actor() is null
                ? Api.ApiResults.Error(CommonErrors.NotSignedIn)
                : await next(invocation));

    /// <summary>The address of the caller, for audit and rate limits.</summary>
    public static string? RemoteAddress(this HttpContext context) => context.Connection.RemoteIpAddress?.ToString();
}
