using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Orgstack.Tests.Support;

/// <summary>
/// The real server on Kestrel at 127.0.0.1 with a dynamic port, for a real browser. Keeps the log lines, so a test can
/// read what an operator would read (the first-run setup link).
/// </summary>
public sealed class KestrelApp : AppFactory
{
    public LogCapture Logs { get; } = new();
    public string BaseUrl { get; }

    public KestrelApp() : this(null) { }

    /// <summary>
    /// With extra settings (internal: xunit fixtures need one public constructor). <c>{port}</c> in a value becomes the
    /// port the server will listen on, picked before it starts (for a PublicBaseUrl that an IdP redirects back to).
    /// </summary>
    internal KestrelApp(IReadOnlyDictionary<string, string?>? settings)
    {
        var port = 0;
        if (settings is not null)
        {
            port = TestPorts.Free();
            foreach (var (key, value) in settings) Settings[key] = value?.Replace("{port}", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        StartServer();
        BaseUrl = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
    }
}

/// <summary>A logger provider that keeps every formatted message.</summary>
public sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<string> Messages { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose() { }

    private sealed class Logger(LogCapture owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) owner.Messages.Enqueue(formatter(state, exception));
        }
    }
}
