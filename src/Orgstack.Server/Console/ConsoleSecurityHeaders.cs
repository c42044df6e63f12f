using Orgstack.Core.Common;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Console;

/// <summary>
/// Headers for every console response: a strict CSP (no inline script or style, no framing), nosniff, no referrer
/// (token pages carry secrets in the URL), and no caching of pages. A state-changing request whose Origin is another
/// site is refused before antiforgery even looks at it.
/// </summary>
public sealed class ConsoleSecurityHeaders(RequestDelegate next, OrgstackOptions options)
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private readonly string? publicOrigin = OriginOf(options.PublicBaseUrl);

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method) && IsCrossSite(request)
            && !IsSamlAcs(request.Path))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("This form was sent from another site and has been refused.");
            return;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            // The server's own time for this page, read by the browser's navigation timing (PerformanceServerTiming);
            // only for signed-in people, so sign-in and link pages reveal nothing about how they were handled.
            if (context.Actor() is not null)
                headers["Server-Timing"] = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"app;desc=\"server\";dur={System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.0}");
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
            if (request.IsHttps) headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
            if (!request.Path.StartsWithSegments("/console")) headers.CacheControl = "no-store";
            return Task.CompletedTask;
        });
        await next(context);
    }

    /// <summary>
    /// The SAML assertion consumer (<c>/sso/{org}/saml/acs</c>) exists to receive the IdP's cross-site POST; it is bound
    /// to the browser by its own correlation cookie and the AuthnRequest ID, not by the origin.
    /// </summary>
    private static bool IsSamlAcs(PathString path) =>
        path.Value is { } p && p.StartsWith("/sso/", StringComparison.Ordinal) && p.EndsWith("/saml/acs", StringComparison.Ordinal)
        && p.Count(c => c == '/') == 4;

    /// <summary>
    /// Fetch metadata first (browsers send it whatever the referrer policy); then the Origin header, except "null",
    /// which is what a same-origin form sends under Referrer-Policy: no-referrer. Antiforgery still checks every POST.
    /// </summary>
    private bool IsCrossSite(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site is "cross-site" or "same-site") return true;
        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0 && origin != "null" && !IsSameOrigin(request, origin);
    }

    private bool IsSameOrigin(HttpRequest request, string origin) =>
        string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase)
        || (publicOrigin is not null && string.Equals(origin, publicOrigin, StringComparison.OrdinalIgnoreCase));

    private static string? OriginOf(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : null;
}
