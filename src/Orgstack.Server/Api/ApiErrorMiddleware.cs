using System.Text.Json;
using Orgstack.Core.Data;

namespace Orgstack.Server.Api;

/// <summary>
/// Every failure leaves in Contentstack's error shape: unreadable bodies as 400, unknown routes as 404, a lost database
/// connection as 503 with Retry-After, and a bug as a 500 without details (the SDK retries 5xx, so expected failures
/// must never be one).
/// A request that lost its database connection before it sent anything but reads is run once more, on a fresh
/// connection and a fresh DI scope: nothing of it can have been applied, so repeating it never applies a change twice.
/// A request that had sent a write is never repeated here; the client gets 503 and decides.
/// </summary>
public sealed class ApiErrorMiddleware(RequestDelegate next, ILogger<ApiErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var replayable = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) || context.Request.ContentLength is 0;
        if (!replayable && (context.Request.ContentLength ?? long.MaxValue) <= MaxReplayBodyBytes)
        {
            context.Request.EnableBuffering();
            // Readers that dispose their StreamReader must not close the buffer a replay needs.
            context.Request.Body = new ReplayableBody(context.Request.Body);
            replayable = true;
        }
        for (var attempt = 1; ; attempt++)
        {
            var writes = TransientFailures.Track();
            try
            {
                if (attempt == 1) await RunAsync(context);
                else await ReplayAsync(context);
                return;
            }
            catch (Exception e) when (!context.Response.HasStarted && TransientFailures.IsConnectionLoss(e)
                                      && !(e is OperationCanceledException && context.RequestAborted.IsCancellationRequested))
            {
                TransientFailures.ForgetIdleConnections();
                if (attempt == 1 && replayable && !writes.Wrote)
                {
                    logger.LogWarning("Database connection lost on {Method} {Path} before any write ({Error}); running the request once more.",
                        context.Request.Method, context.Request.Path.Value, e.Message);
                    continue;
                }
                logger.LogWarning("Database connection lost on {Method} {Path} (trace {TraceId}, attempt {Attempt}, wrote {Wrote}): {Error}; answered 503.",
                    context.Request.Method, context.Request.Path.Value, context.TraceIdentifier, attempt, writes.Wrote, e.Message);
                await Write(context, 503, 503, "The service is briefly unavailable: its database connection was interrupted. Please retry the request.", retryAfterSeconds: 1);
                return;
            }
            catch (Exception e) when (!context.Response.HasStarted && IsUnstorableCharacter(e))
            {
                // A NUL (or another byte PostgreSQL text refuses) in some input reached a statement: the statement failed,
                // so nothing was applied. It is the request's fault: 400, not 500.
                logger.LogWarning("Refused {Method} {Path}: a character the database cannot store (trace {TraceId}).", context.Request.Method, context.Request.Path.Value, context.TraceIdentifier);
                await Write(context, 400, 400, "The request contains a character that cannot be stored (NUL).");
                return;
            }
            catch (Exception e) when (!context.Response.HasStarted && !(e is OperationCanceledException && context.RequestAborted.IsCancellationRequested))
            {
                logger.LogError(e, "Unhandled error on {Method} {Path} (trace {TraceId})", context.Request.Method, context.Request.Path.Value, context.TraceIdentifier);
                await Write(context, 500, 500, "Internal server error");
                return;
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away; nothing to answer.
                return;
            }
        }
    }

    private static bool IsUnstorableCharacter(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is Npgsql.PostgresException { SqlState: "22021" or "22P05" }) return true;
        return false;
    }

    /// <summary>Bodies up to this size are buffered so that a request can be run once more (larger ones spill to a temp file).</summary>
    private const long MaxReplayBodyBytes = 1024 * 1024;

    /// <summary>Runs the request again from a clean state: the body from its start, a fresh DI scope (a fresh DbContext).</summary>
    private async Task ReplayAsync(HttpContext context)
    {
        context.Response.Clear();
        foreach (var key in new[] { Auth.SessionAuthentication.ActorKey, Auth.SessionAuthentication.UserKey })
            context.Items.Remove(key);
        if (context.Request.Body is ReplayableBody body) body.Rewind();
        var original = context.RequestServices;
        await using var scope = original.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
        context.RequestServices = scope.ServiceProvider;
        try
        {
            await RunAsync(context);
        }
        finally
        {
            context.RequestServices = original;
        }
    }

    private async Task RunAsync(HttpContext context)
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
    }

    private static string Describe(JsonException e) =>
        e.Path is { Length: > 0 } path ? $"check the value at {path}." : "check its syntax.";

    private static Task Write(HttpContext context, int status, int code, string message, int? retryAfterSeconds = null)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        if (retryAfterSeconds is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return context.Response.WriteAsJsonAsync(new Dictionary<string, object>
        {
            ["error_message"] = message,
            ["error_code"] = code,
            ["errors"] = new Dictionary<string, string[]>(),
        });
    }
}

/// <summary>The buffered request body, rewound for a replay; Dispose by a reader leaves it open.</summary>
internal sealed class ReplayableBody(Stream inner) : Stream
{
    public void Rewind() => inner.Position = 0;

    public override bool CanRead => true;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => inner.Position = value; }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    protected override void Dispose(bool disposing) { }
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
