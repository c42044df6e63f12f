using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration.Memory;
using Orgstack.Core.Common;
using Orgstack.Core.Data;
using Orgstack.Server.Api;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Hosting;

public static class OrgstackHost
{
    public static void AddOrgstack(this WebApplicationBuilder builder)
    {
        // Before anything can open a SQLite connection: SQLite takes its process-wide settings only before its first use.
        SqliteThreading.Configure();
        var options = builder.Configuration.GetSection(OrgstackOptions.Section).Get<OrgstackOptions>() ?? new OrgstackOptions();
        // `dotnet run` without --urls or ASPNETCORE_URLS listens where the default public base URL points.
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
            builder.WebHost.UseUrls("http://localhost:5080");
        // Default log levels, beneath every other configuration source so that appsettings, environment variables and the
        // command line still decide (Logging__LogLevel__Microsoft.AspNetCore=Information turns them back up). Without them
        // a server started as the README does (no appsettings file) wrote two "Executing/Executed endpoint" lines per request
        // and one per EF Core statement to the console: more work than the request itself on a single read.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Warning",
            },
        });
        // The per-request "Request starting …" lines carry full paths and query strings, and emailed links put their
        // single-use token there (/v3/organizations/invitations/{token}, ?token=…): keep them out of the logs. The same
        // category, when enabled at any level, also opens a logging scope with RequestPath on every request, which every
        // sink that writes scopes (JSON console, OpenTelemetry) would store: None turns off both (test: LogSecrecyTests).
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // Route matching's Debug lines quote the request path as well.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Routing.Matching", LogLevel.Information);
        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        // Pooled contexts: options, connection object and internal services are built once per context instance
        // instead of once per request, which is most of the per-request cost of a small read (see bench/README.md).
        services.AddDbContextPool<OrgstackDbContext>(o => Database.Configure(o, options), poolSize: 256);
        Orgstack.Core.CoreServices.Add(services);
        services.AddScoped<UserDirectory>();

        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DictionaryKeyPolicy = null;
            o.SerializerOptions.MaxDepth = 32;
        });
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.AddOpenApi();

        // Extension points: other parts of the server register through these (mail delivery, console, SSO…).
        foreach (var module in Modules()) module.AddServices(builder);
    }

    /// <summary>
    /// Whether the server's own code was built without optimization (a Debug build: what `dotnet run` gives without
    /// `-c Release`). The JIT then generates unoptimized code for it: GET organization served 0.55 of a no-op's rate
    /// against 0.64 in Release (bench/README.md).
    /// </summary>
    public static bool IsUnoptimizedBuild { get; } = new[] { typeof(OrgstackHost).Assembly, typeof(OrgstackDbContext).Assembly }
        .Any(a => a.GetCustomAttributes(typeof(System.Diagnostics.DebuggableAttribute), false)
            .OfType<System.Diagnostics.DebuggableAttribute>().Any(d => d.IsJITOptimizerDisabled));

    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        if (IsUnoptimizedBuild && !app.Environment.IsDevelopment())
            app.Logger.LogWarning("This is a Debug build of Orgstack: its code runs without JIT optimization. Run the Release build " +
                "(dotnet run -c Release --project src/Orgstack.Server, or dotnet publish -c Release) for production and measurements.");
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<OrgstackDbContext>();
        await db.Database.MigrateAsync();
        foreach (var module in Modules()) await module.OnStartedAsync(app, scope.ServiceProvider);
    }

    public static void UseOrgstack(this WebApplication app)
    {
        // WebApplication puts ASP.NET Core's authentication and authorization middleware in front of every request when
        // their services are registered (Razor Pages registers them). Orgstack has no authentication scheme and no
        // [Authorize]: sessions are checked by SessionAuthentication and every permission in Core. The two did nothing but
        // cost a twentieth of a single read; marking them as placed keeps them out. Were [Authorize] ever added, the
        // endpoint middleware refuses to run such an endpoint without the authorization middleware, so it cannot pass
        // unchecked.
        var properties = ((IApplicationBuilder)app).Properties;
        properties["__AuthenticationMiddlewareSet"] = true;
        properties["__AuthorizationMiddlewareSet"] = true;
        app.UseOrgstackForwardedHeaders();
        app.UseMiddleware<ApiErrorMiddleware>();
        app.UseMiddleware<SessionAuthentication>();
        foreach (var module in Modules()) module.UseMiddleware(app);

        app.MapOpenApi();
        var v3 = app.MapGroup("/v3");
        ApiEndpoints.MapAll(v3);
        foreach (var module in Modules()) module.MapEndpoints(app);
    }

    private static IEnumerable<IServerModule> Modules() =>
        typeof(OrgstackHost).Assembly.GetTypes()
            .Where(t => typeof(IServerModule).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (IServerModule)Activator.CreateInstance(t)!);
}

/// <summary>
/// A part of the server that plugs itself in (mail delivery, console pages, SSO). Found by reflection, so adding one
/// never edits the host.
/// </summary>
public interface IServerModule
{
    void AddServices(WebApplicationBuilder builder) { }
    Task OnStartedAsync(WebApplication app, IServiceProvider services) => Task.CompletedTask;
    void UseMiddleware(WebApplication app) { }
    void MapEndpoints(WebApplication app) { }
}
