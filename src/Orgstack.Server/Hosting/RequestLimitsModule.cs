using Microsoft.AspNetCore.Http.Features;
using Orgstack.Server.Api;

namespace Orgstack.Server.Hosting;

/// <summary>
/// Request body size limits for /v3: <c>Orgstack:Limits:MaxBodyBytes</c> (2 MiB by default) for every endpoint, and
/// <c>Orgstack:Limits:MaxInviteBodyBytes</c> (16 MiB) for the bulk invite (<c>POST /v3/organizations/{org}/share</c>,
/// up to 10,000 addresses with their stack roles). A larger body answers 413 in the error shape before any handler
/// runs: a declared Content-Length at once, a chunked body when the server's read passes the limit.
/// </summary>
public sealed class RequestLimitsModule : IServerModule
{
    public const long DefaultMaxBodyBytes = 2 * 1024 * 1024;
    public const long DefaultMaxInviteBodyBytes = 16 * 1024 * 1024;

    public void UseMiddleware(WebApplication app)
    {
        var configuration = app.Configuration;
        var max = configuration.GetValue("Orgstack:Limits:MaxBodyBytes", DefaultMaxBodyBytes);
        var maxInvite = configuration.GetValue("Orgstack:Limits:MaxInviteBodyBytes", DefaultMaxInviteBodyBytes);
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/v3"))
            {
                await next(context);
                return;
            }
            var limit = IsBulkInvite(context.Request) ? maxInvite : max;
            if (context.Request.ContentLength > limit)
            {
                await ApiResults.Error(413, 413, $"The request body is too large (at most {limit} bytes).").ExecuteAsync(context);
                return;
            }
            var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
            if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = limit;
            else if (context.Request.ContentLength is null && context.Request.Body.CanRead)
                context.Request.Body = new LimitedReadStream(context.Request.Body, limit);
            await next(context);
        });
    }

    private static bool IsBulkInvite(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) && request.Path.Value is { } path
        && path.StartsWith("/v3/organizations/", StringComparison.Ordinal) && path.EndsWith("/share", StringComparison.Ordinal);

    /// <summary>Where the server offers no body size feature (in-memory hosts), the same limit on the stream.</summary>
    private sealed class LimitedReadStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            if (_read > limit) throw new BadHttpRequestException("The request body is too large.", StatusCodes.Status413PayloadTooLarge);
            return read;
        }
    }
}
