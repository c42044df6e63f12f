using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Core;
using Orgstack.Core.Common;
using Orgstack.Core.Data;

namespace Orgstack.Tests.Support;

/// <summary>
/// The real server in memory, on its own SQLite file in a temporary data directory, with a cheap password hash
/// (one test checks the production default). Settings can be overridden per factory.
/// </summary>
public class AppFactory : WebApplicationFactory<Program>
{
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "orgstack-tests", Guid.NewGuid().ToString("n"));
    public Dictionary<string, string?> Settings { get; } = new();

    public AppFactory()
    {
        Directory.CreateDirectory(DataDirectory);
        Settings["Orgstack:DataDirectory"] = DataDirectory;
        Settings["Orgstack:Passwords:Iterations"] = "1000";
        Settings["Orgstack:PublicBaseUrl"] = "http://orgstack.test";
        Settings["Orgstack:Mail:PollMilliseconds"] = "100";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
    }

    public AsyncServiceScope Scope() => Services.CreateAsyncScope();

    public async Task<T> WithDbAsync<T>(Func<OrgstackDbContext, Task<T>> action)
    {
        await using var scope = Scope();
        return await action(scope.ServiceProvider.GetRequiredService<OrgstackDbContext>());
    }

    public ApiClient Client() => new(CreateClient());

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
