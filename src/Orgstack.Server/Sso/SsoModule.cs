using Orgstack.Core.Accounts;
using Orgstack.Core.Common;
using Orgstack.Core.Sso;
using Orgstack.Server.Auth;
using Orgstack.Server.Console;
using Orgstack.Server.Hosting;

namespace Orgstack.Server.Sso;

/// <summary>
/// The browser side of single sign-on: start (redirect to the IdP), the OIDC callback, the SAML ACS and SP metadata.
/// A random correlation cookie binds each started sign-in to the browser that started it; success sets the console
/// cookie and goes to the console. Every failure shows one generic page (and is audited), never which check failed.
/// </summary>
public sealed class SsoModule : IServerModule
{
    public const string CorrelationCookie = "orgstack_sso";
    /// <summary>Where to land after a successful sign-in (a local path only, e.g. the SSO settings page after a test).</summary>
    public const string ReturnCookie = "orgstack_sso_return";
    public const string RepostField = "orgstack_repost";

    public void AddServices(WebApplicationBuilder builder)
    {
        builder.Services.AddHttpClient(OidcRelyingParty.HttpClientName, c => c.Timeout = SsoOutbound.Timeout)
            .ConfigurePrimaryHttpMessageHandler(services => SsoOutbound.CreateHandler(services.GetRequiredService<OrgstackOptions>()));
        builder.Services.AddScoped<SamlMetadataImport>();
        builder.Services.AddSingleton<OidcMetadataCache>();
        builder.Services.AddScoped<SsoLogins>();
        builder.Services.AddScoped<SsoCompletion>();
        builder.Services.AddScoped<OidcRelyingParty>();
        builder.Services.AddScoped<SamlServiceProvider>();
    }

    public void MapEndpoints(WebApplication app)
    {
        var sso = app.MapGroup("/sso").WithTags("Single sign-on (browser)").ExcludeFromDescription();

        sso.MapGet("/{organizationUid}/oidc/start", async (string organizationUid, HttpContext http, OidcRelyingParty oidc, CancellationToken ct) =>
        {
            var browser = NewCorrelation(http);
            RememberReturn(http);
            var started = await oidc.StartAsync(organizationUid, browser, ct);
            return started.IsSuccess ? Results.Redirect(started.Value!) : Failed(http);
        });

        sso.MapGet("/{organizationUid}/oidc/callback", async (string organizationUid, HttpContext http, OidcRelyingParty oidc, SsoCompletion completion,
            TimeProvider clock, CancellationToken ct) =>
        {
            var q = http.Request.Query;
            var identity = await oidc.CallbackAsync(organizationUid, q["code"], q["state"], q["iss"], q["error"], Correlation(http), ct);
            return await FinishAsync(http, organizationUid, identity, completion, clock, ct);
        });

        sso.MapGet("/{organizationUid}/saml/start", async (string organizationUid, HttpContext http, SamlServiceProvider saml, CancellationToken ct) =>
        {
            var browser = NewCorrelation(http);
            RememberReturn(http);
            var started = await saml.StartAsync(organizationUid, browser, ct);
            return started.IsSuccess ? Results.Redirect(started.Value!) : Failed(http);
        });

        sso.MapGet("/{organizationUid}/saml/metadata", async (string organizationUid, SamlServiceProvider saml, CancellationToken ct) =>
            await saml.IsConfiguredAsync(organizationUid, ct)
                ? Results.Text(saml.Metadata(organizationUid), "application/samlmetadata+xml")
                : Results.NotFound());

        sso.MapPost("/{organizationUid}/saml/acs", async (string organizationUid, HttpContext http, SamlServiceProvider saml, SsoCompletion completion,
            TimeProvider clock, CancellationToken ct) =>
        {
            if (!http.Request.HasFormContentType) return Failed(http);
            var form = await http.Request.ReadFormAsync(ct);
            // Over plain http the correlation cookie is SameSite=Lax (None needs Secure), so a cross-site IdP's POST
            // arrives without it: answer once with a form that re-sends the response from this site, which carries it.
            // Only for a browser's cross-site POST (fetch metadata says so); anything else is judged as it is.
            if (Correlation(http) is null && form[RepostField] != "1" && !string.IsNullOrEmpty(form["SAMLResponse"])
                && http.Request.Headers["Sec-Fetch-Site"] == "cross-site")
                return Repost(organizationUid, form["SAMLResponse"].ToString());
            var identity = await saml.ConsumeAsync(organizationUid, form["SAMLResponse"], Correlation(http), ct);
            return await FinishAsync(http, organizationUid, identity, completion, clock, ct);
        }).DisableAntiforgery();
    }

    private static async Task<IResult> FinishAsync(HttpContext http, string organizationUid, Result<SsoIdentity> identity, SsoCompletion completion,
        TimeProvider clock, CancellationToken ct)
    {
        http.Response.Cookies.Delete(CorrelationCookie, CorrelationOptions(http.Request));
        var back = http.Request.Cookies.TryGetValue(ReturnCookie, out var remembered) ? ConsolePageModel.SafeReturnUrl(remembered) : null;
        if (back is not null) http.Response.Cookies.Delete(ReturnCookie, CorrelationOptions(http.Request));
        if (!identity.IsSuccess)
        {
            if (Orgstack.Core.Common.Ids.LooksValid(organizationUid))
                await completion.RefuseAsync(new SsoIdentity(organizationUid, "", "", null, false), "response_rejected", clock.GetUtcNow(), ct);
            return Failed(http);
        }
        var done = await completion.CompleteAsync(identity.Value!, http.RemoteAddress(), http.Request.Headers.UserAgent.ToString(), ct);
        if (!done.IsSuccess) return Failed(http);
        ConsoleCookies.Write(http.Response, done.Value.Token);
        return Results.Redirect(back ?? "/");
    }

    private static IResult Failed(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        return Results.Content("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in failed</title></head>"
            + "<body><main><h1>Single sign-on failed</h1><p>Please try again or contact your administrator.</p><p><a href=\"/sign-in\">Back to sign-in</a></p></main></body></html>",
            "text/html; charset=utf-8", statusCode: StatusCodes.Status401Unauthorized);
    }

    private static void RememberReturn(HttpContext http)
    {
        if (ConsolePageModel.SafeReturnUrl(http.Request.Query["returnUrl"]) is { } back)
            http.Response.Cookies.Append(ReturnCookie, back, CorrelationOptions(http.Request));
        else
            http.Response.Cookies.Delete(ReturnCookie, CorrelationOptions(http.Request));
    }

    private static IResult Repost(string organizationUid, string samlResponse)
    {
        var action = System.Net.WebUtility.HtmlEncode($"/sso/{Uri.EscapeDataString(organizationUid)}/saml/acs");
        return Results.Content("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signing in…</title>"
            + "<script src=\"/console/console.js\" defer></script></head><body><main>"
            + $"<form method=\"post\" action=\"{action}\" data-autopost>"
            + $"<input type=\"hidden\" name=\"SAMLResponse\" value=\"{System.Net.WebUtility.HtmlEncode(samlResponse)}\">"
            + $"<input type=\"hidden\" name=\"{RepostField}\" value=\"1\">"
            + "<p>Completing single sign-on…</p><button type=\"submit\">Continue</button></form></main></body></html>",
            "text/html; charset=utf-8");
    }

    private static string NewCorrelation(HttpContext http)
    {
        var value = Secrets.NewToken();
        http.Response.Cookies.Append(CorrelationCookie, value, CorrelationOptions(http.Request));
        return value;
    }

    private static string? Correlation(HttpContext http) =>
        http.Request.Cookies.TryGetValue(CorrelationCookie, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    /// <summary>
    /// Over https SameSite=None + Secure, so the IdP's cross-site POST to the ACS carries it. Over plain http browsers
    /// refuse SameSite=None without Secure, so it is Lax there: the OIDC callback (a top-level GET) still carries it and
    /// a cross-site SAML POST is re-sent once from this site (<see cref="Repost"/>). HttpOnly; path /sso/ only.
    /// </summary>
    private static CookieOptions CorrelationOptions(HttpRequest request) => new()
    {
        HttpOnly = true,
        Secure = request.IsHttps,
        SameSite = request.IsHttps ? SameSiteMode.None : SameSiteMode.Lax,
        Path = "/sso/",
        IsEssential = true,
        MaxAge = TimeSpan.FromMinutes(15),
    };
}
