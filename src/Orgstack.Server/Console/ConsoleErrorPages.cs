using System.Text.Encodings.Web;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Console;

/// <summary>
/// Gives every bodiless console error (403 from an access check, 404 for an unknown page or organization, a 500 from a
/// bug) a readable page in the console's style, keeping its status code. A bug's details go to the log only.
/// </summary>
public sealed class ConsoleErrorPages(RequestDelegate next, ILogger<ConsoleErrorPages> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            logger.LogError(e, "Unhandled error on {Method} {Path} (trace {TraceId})", context.Request.Method, context.Request.Path.Value, context.TraceIdentifier);
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        }

        var response = context.Response;
        if (response.HasStarted || response.StatusCode < 400 || response.ContentLength > 0 || !string.IsNullOrEmpty(response.ContentType)) return;
        if (HttpMethods.IsHead(context.Request.Method)) return;
        response.ContentType = "text/html; charset=utf-8";
        await response.WriteAsync(Render(response.StatusCode, context.SignedInUser() is not null, context.TraceIdentifier));
    }

    public static string Heading(int status) => status switch
    {
        400 => "Something in that request wasn't right",
        403 => "You don't have access to this page",
        404 => "Page not found",
        405 => "That action isn't available here",
        _ => "Something went wrong",
    };

    private static string Explanation(int status) => status switch
    {
        400 => "The form may have expired. Go back, reload the page and try again.",
        403 => "This page is for the organization's Owner and Admins. Ask one of them if you need access.",
        404 => "The page doesn't exist, or you are not a member of the organization it belongs to.",
        405 => "Go back and use the page's own buttons.",
        _ => "The error has been logged. Try again in a moment.",
    };

    private static string Render(int status, bool signedIn, string traceId)
    {
        var html = HtmlEncoder.Default;
        var (href, label) = signedIn ? ("/", "Go to your organizations") : ("/sign-in", "Sign in");
        var trace = status >= 500 ? $"<p class=\"hint\">Reference: <span class=\"mono\">{html.Encode(traceId)}</span></p>" : "";
        return $$"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="color-scheme" content="light dark">
            <title>{{html.Encode(Heading(status))}} · Orgstack</title>
            <link rel="stylesheet" href="/console/console.css">
            <link rel="icon" href="/console/favicon.svg" type="image/svg+xml">
            </head>
            <body>
            <main id="main" class="auth">
            <div class="auth-brand"><svg class="logo" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><rect x="2" y="2" width="20" height="20" rx="6" class="logo-bg" /><path d="M7 9.5l5-2.5 5 2.5-5 2.5zM7 13l5 2.5 5-2.5" class="logo-fg" /></svg><span>Orgstack</span></div>
            <section class="card narrow error-card" aria-labelledby="title">
            <p class="error-code">Error {{status}}</p>
            <h1 id="title">{{html.Encode(Heading(status))}}</h1>
            <p class="muted">{{html.Encode(Explanation(status))}}</p>
            {{trace}}
            <div class="actions"><a class="button button-primary" href="{{href}}">{{html.Encode(label)}}</a></div>
            </section>
            </main>
            </body>
            </html>
            """;
    }
}
