using System.Text.Json;

namespace Orgstack.Server.Api;

/// <summary>
/// Every failure leaves in Contentstack's error shape: unreadable bodies as 400, unknown routes as 404, and a bug as
/// a 500 without details (the SDK retries 5xx, so expected failures must never be one).
/// </summary>
public sealed class ApiErrorMiddleware(RequestDelegate next, ILogger<ApiErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
            if (context.Response is { HasStarted: false, StatusCode: 404 or 405 } && context.GetEndpoint() is null
                && context.Request.Path.StartsWithSegments("/v3"))
                await Write(context, context.Response.StatusCode, context.Response.StatusCode == 404 ? 404 : 405,
                    context.Response.StatusCode == 404 ? "The requested resource was not found." : "This method is not allowed on this resource.");
            // A framework answer without a body (415 for a missing Content-Type, 413, 400 from binding) still
            // leaves in the error shape.
            else if (context.Response is { HasStarted: false, StatusCode: >= 400 } && context.Response.ContentLength is null or 0
                     && context.Response.ContentType is null && context.Request.Path.StartsWithSegments("/v3"))
                await Write(context, context.Response.StatusCode, context.Response.StatusCode, context.Response.StatusCode switch
                {
                    413 => "The request body is too large.",
                    415 => "Please set a valid 'Content-Type' header: application/json.",
                    401 => "You're not signed in.",
                    _ => "The request could not be processed.",
                });
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            var status = e.StatusCode == StatusCodes.Status413PayloadTooLarge ? 413 : e.StatusCode == 415 ? 415 : 400;
            var message = status switch
            {
                413 => "The request body is too large.",
                415 => "Please set a valid 'Content-Type' header: application/json.",
                _ => e.InnerException is JsonException
                    ? "The request body is not valid JSON for this endpoint: " + Describe((JsonException)e.InnerException)
                    : "The request is not valid: " + e.Message,
            };
            await Write(context, status, status, message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            logger.LogError(e, "Unhandled error on {Method} {Path} (trace {TraceId})", context.Request.Method, context.Request.Path.Value, context.TraceIdentifier);
            await Write(context, 500, 500, "Internal server error");
        }
    }

    private static string Describe(JsonException e) =>
        e.Path is { Length: > 0 } path ? $"check the value at {path}." : "check its syntax.";

    private static Task Write(HttpContext context, int status, int code, string message)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new Dictionary<string, object>
        {
            ["error_message"] = message,
            ["error_code"] = code,
            ["errors"] = new Dictionary<string, string[]>(),
        });
    }
}
