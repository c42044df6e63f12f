using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Orgstack.Tests.Support;

/// <summary>
/// Every log record the server writes, at every level, as a sink would store it: the formatted message, each structured
/// property, each scope's properties and the exception text.
/// </summary>
public sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;
    public void Dispose() { }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner.scopes.Push(state);
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var parts = new List<string> { $"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)}" };
            if (state is IEnumerable<KeyValuePair<string, object?>> properties)
                parts.AddRange(properties.Select(p => $"{p.Key}={p.Value}"));
            owner.scopes.ForEachScope((scope, list) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object?>> values) list.AddRange(values.Select(p => $"scope {p.Key}={p.Value}"));
                else list.Add("scope " + scope);
            }, parts);
            if (exception is not null) parts.Add(exception.ToString());
            owner.Lines.Enqueue(string.Join(" | ", parts));
        }
    }
}

/// <summary>The server in memory with logging at Trace everywhere an operator can turn it up, captured.</summary>
public sealed class LogCaptureAppFactory : AppFactory
{
    public CapturedLogs Logs { get; } = new();

    public LogCaptureAppFactory()
    {
        Settings["Logging:LogLevel:Default"] = "Trace";
        Settings["Logging:LogLevel:Microsoft"] = "Trace";
        Settings["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace";
        Settings["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Trace";
        Settings["Logging:LogLevel:System"] = "Trace";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
    }
}
