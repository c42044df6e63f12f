using Microsoft.AspNetCore.Antiforgery;
using Orgstack.Core.Common;
using Orgstack.Server.Hosting;

namespace Orgstack.Server.Console;

/// <summary>
/// The admin console: server-rendered Razor Pages under Console/Pages, signed in with a cookie that carries the same
/// server-side session token as the API's authtoken. Everything outside /v3 is the console.
/// </summary>
public sealed class ConsoleModule : IServerModule
{
    public void AddServices(WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(OrgstackOptions.Section).Get<OrgstackOptions>() ?? new OrgstackOptions();
        var https = options.PublicBaseUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        builder.Services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Console/Pages";
            o.Conventions.ConfigureFilter(new ConsoleAuthenticationFilter());
        });
        builder.Services.AddAntiforgery(o =>
        {
            // The antiforgery cookie follows the public address: behind TLS it is Secure and host-only (__Host-).
            o.Cookie.Name = https ? "__Host-orgstack-csrf" : "orgstack-csrf";
            o.Cookie.SecurePolicy = https ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.HttpOnly = true;
            o.Cookie.Path = "/";
            o.FormFieldName = "__csrf";
            o.HeaderName = null;
            o.SuppressXFrameOptionsHeader = true;
        });
        builder.Services.AddHostedService<SetupLinkAnnouncer>();
        builder.Services.AddSingleton<ConsoleResultTokens>();
    }

    public void UseMiddleware(WebApplication app)
    {
        app.UseWhen(ConsoleRequest.Is, console =>
        {
            console.UseMiddleware<ConsoleSecurityHeaders>();
            console.UseMiddleware<ConsoleErrorPages>();
            console.UseStaticFiles(new StaticFileOptions
            {
                // Links carry a content hash (?v=…), so a versioned file can be cached for good.
                OnPrepareResponse = file => file.Context.Response.Headers.CacheControl =
                    file.Context.Request.Query.ContainsKey("v") ? "public, max-age=31536000, immutable" : "public, max-age=3600",
            });
            console.UseMiddleware<ConsoleCookieAuthentication>();
        });
    }

    public void MapEndpoints(WebApplication app) => app.MapRazorPages();
}

/// <summary>Which requests belong to the console: everything but the API and its OpenAPI document.</summary>
public static class ConsoleRequest
{
    public static bool Is(HttpContext context) =>
        !context.Request.Path.StartsWithSegments("/v3") && !context.Request.Path.StartsWithSegments("/openapi");
}
