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
            if (await tokens.ValidateAsync(token, OrganizationOf(context), context.RequestAborted) is { } signedIn)
                SignIn(context, signedIn);
        }
        // Routing has already chosen the endpoint (the host routes first): one that needs a session is refused here, before
        // anything else runs for it, instead of by a filter around every such endpoint.
        if (context.Items[ActorKey] is null && context.GetEndpoint()?.Metadata.GetMetadata<RequiresSession>() is not null)
        {
            await Api.ApiResults.Error(CommonErrors.NotSignedIn).ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    /// <summary>
    /// The organization of the chosen endpoint's route (<c>/v3/organizations/{organizationUid}/…</c>), so the caller's access
    /// row can be read with the session in one statement; the endpoint's access check still decides (Core's <c>OrgAccess</c>).
    /// </summary>
    public static string? OrganizationOf(HttpContext context) =>
        context.Request.RouteValues.TryGetValue("organizationUid", out var value) && value is string uid && Ids.LooksValid(uid) ? uid : null;

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

    /// <summary>
    /// Requests without a valid session are refused with 401 in Contentstack's shape (by <see cref="SessionAuthentication"/>,
    /// which reads this endpoint metadata once routing has chosen the endpoint).
    /// </summary>
    public static TBuilder RequireSession<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(RequiresSession.Instance);

    /// <summary>The address of the caller, for audit and rate limits.</summary>
    public static string? RemoteAddress(this HttpContext context) => context.Connection.RemoteIpAddress?.ToString();
}

/// <summary>Endpoint metadata: the endpoint answers only a signed-in caller.</summary>
public sealed class RequiresSession
{
    public static readonly RequiresSession Instance = new();

    private RequiresSession() { }
}
