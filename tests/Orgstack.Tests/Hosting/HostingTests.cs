using Orgstack.Core.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Orgstack.Server.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.Http;
using System.Net;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Hosting;

public sealed class OpenApiTests : IClassFixture<AppFactory>
{
    private readonly AppFactory app;

    public OpenApiTests(AppFactory app) => this.app = app;

    [Fact]
    public async Task OpenApiDocument_ListsTheV3Paths()
    {
        var response = (await app.Client().GetAsync("/openapi/v1.json")).EnsureStatus(HttpStatusCode.OK);

        var json = response.Json;
        Assert.StartsWith("3.", json["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        var paths = json["paths"]!.AsObject().Select(p => p.Key).ToList();
        foreach (var expected in new[]
                 {
                     "/v3/user-session", "/v3/user", "/v3/organizations", "/v3/organizations/{organizationUid}",
                     "/v3/organizations/{organizationUid}/logs", "/v3/organizations/{organizationUid}/logs/{logUid}",
                     "/v3/organizations/{organizationUid}/plan", "/v3/organizations/{organizationUid}/users/export.csv",
                 })
            Assert.Contains(paths, p => p.TrimEnd('/') == expected);
    }
}

public sealed class DataProtectionTests : IDisposable
{
    private readonly AppFactory first = new();
    private readonly AppFactory second = new();

    public DataProtectionTests() => second.Settings["Orgstack:DataDirectory"] = first.DataDirectory;

    public void Dispose()
    {
        second.Dispose();
        first.Dispose();
    }

    [Fact]
    public async Task KeysLiveInTheDatabase_SoWhatOneNodeProtectsAnotherNodeReads()
    {
        var secret = "totp-secret-" + Guid.NewGuid();
        var protectedText = first.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("Orgstack.Test").Protect(secret);

        var keys = await first.WithDbAsync(db => db.DataProtectionKeys.AsNoTracking().ToListAsync());
        Assert.NotEmpty(keys);
        Assert.All(keys, k => Assert.Contains("<key", k.Xml, StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(first.DataDirectory, "key-*.xml", SearchOption.AllDirectories));

        var unprotected = second.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("Orgstack.Test").Unprotect(protectedText);
        Assert.Equal(secret, unprotected);
        Assert.Equal(keys.Count, await second.WithDbAsync(db => db.DataProtectionKeys.CountAsync()));
    }
}

public sealed class SqliteThreadingTests
{
    [Fact]
    public void Sqlite_IsConfiguredForMultiThreadMode_BeforeItsFirstUse()
    {
        SqliteThreading.Configure();
        // SQLite accepted multi-thread mode: it was configured before its first use, in this process as in the server's.
        Assert.True(SqliteThreading.MultiThread, "SQLite was already in use before its process-wide settings were applied.");
    }
}

/// <summary>The log levels of a server started as the README does: no appsettings file, nothing set.</summary>
public sealed class DefaultLogLevelTests
{
    private static ILoggerFactory Loggers(params string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", Args = args });
        builder.AddOrgstack();
        return builder.Build().Services.GetRequiredService<ILoggerFactory>();
    }

    [Fact]
    public void WithNothingConfigured_PerRequestFrameworkLines_AreOff_AndTheServersOwnInformationStays()
    {
        var loggers = Loggers();
        Assert.False(loggers.CreateLogger("Microsoft.AspNetCore.Routing.EndpointMiddleware").IsEnabled(LogLevel.Information));
        Assert.False(loggers.CreateLogger("Microsoft.EntityFrameworkCore.Database.Command").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Microsoft.AspNetCore.Routing.EndpointMiddleware").IsEnabled(LogLevel.Warning));
        Assert.True(loggers.CreateLogger("Orgstack.Server.Mail.OutboxDeliveryService").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Microsoft.Hosting.Lifetime").IsEnabled(LogLevel.Information));
    }

    [Fact]
    public void AnOperatorsSetting_TurnsThemBackUp()
    {
        var loggers = Loggers("--Logging:LogLevel:Microsoft.AspNetCore=Information", "--Logging:LogLevel:Microsoft.EntityFrameworkCore=Debug");
        Assert.True(loggers.CreateLogger("Microsoft.AspNetCore.Routing.EndpointMiddleware").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Microsoft.EntityFrameworkCore.Database.Command").IsEnabled(LogLevel.Debug));
        // Except the request-start lines, which carry emailed tokens in their paths: off whatever is configured.
        Assert.False(loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Critical));
    }
}

public sealed class BuildKindTests
{
    [Fact]
    public void UnoptimizedBuild_IsRecognised_SoTheServerCanWarnAboutIt()
    {
#if DEBUG
        Assert.True(OrgstackHost.IsUnoptimizedBuild);
#else
        Assert.False(OrgstackHost.IsUnoptimizedBuild);
#endif
    }
}

/// <summary>
/// The host keeps ASP.NET Core's authorization middleware out of the pipeline (Orgstack checks sessions and permissions
/// itself). An endpoint that asked for ASP.NET Core authorization must then be refused, never served unchecked.
/// </summary>
public sealed class PipelineTests
{
    [Fact]
    public async Task AnEndpointRequiringAspNetCoreAuthorization_IsNeverServed_WithoutTheAuthorizationMiddleware()
    {
        var data = Path.Combine(Path.GetTempPath(), "orgstack-tests", Guid.NewGuid().ToString("n"));
        using var cleanup = new TemporaryDirectory(data);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", Args = [$"--Orgstack:DataDirectory={data}"] });
        builder.WebHost.UseTestServer();
        builder.AddOrgstack();
        await using var app = builder.Build();
        await app.PrepareDatabaseAsync();
        app.UseOrgstack();
        app.MapGet("/guarded", () => "secret").RequireAuthorization();
        await app.StartAsync();

        HttpResponseMessage? response = null;
        var thrown = await Record.ExceptionAsync(async () => response = await app.GetTestClient().GetAsync("/guarded"));

        Assert.True(thrown is not null || response!.StatusCode == HttpStatusCode.InternalServerError,
            $"served: {(response is null ? "" : await response.Content.ReadAsStringAsync())}");
        if (thrown is not null) Assert.Contains("authorization", thrown.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    private sealed class TemporaryDirectory(string path) : IDisposable
    {
        public void Dispose()
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
