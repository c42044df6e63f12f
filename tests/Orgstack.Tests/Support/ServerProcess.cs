using System.Diagnostics;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Mail;

namespace Orgstack.Tests.Support;

/// <summary>
/// The built server as its own process (<c>dotnet Orgstack.Server.dll</c>) in Production mode on PostgreSQL, on
/// 127.0.0.1:<c>port</c>, with cheap hashing and a fast mail poll; ready when <see cref="StartAsync"/> returns. Disposing
/// kills it (SIGKILL) unless it has exited.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process process;

    private ServerProcess(Process process, int port)
    {
        this.process = process;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri BaseAddress { get; }

    /// <summary>
    /// Starts the server and waits until it answers. <paramref name="settings"/> are configuration keys
    /// ("Orgstack:Mail:DropDirectory") added to, or overriding, the common ones.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(int port, string dataDirectory, string connectionString, IReadOnlyDictionary<string, string> settings)
    {
        var info = new ProcessStartInfo("dotnet", [ServerDll()]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var all = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Orgstack:DataDirectory"] = dataDirectory,
            ["Orgstack:Database:Provider"] = "postgres",
            ["Orgstack:Database:ConnectionString"] = connectionString,
            ["Orgstack:Mail:PollMilliseconds"] = "20",
            ["Orgstack:Mail:BatchSize"] = "5",
            ["Orgstack:Passwords:Iterations"] = "1000",
            ["Orgstack:PublicBaseUrl"] = "http://orgstack.test",
        };
        foreach (var (key, value) in settings) all[key] = value;
        foreach (var (key, value) in all) info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, port);
        try
        {
            await server.WaitReadyAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL, and wait until it is gone.</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited) await KillAsync();
        process.Dispose();
    }

    private async Task WaitReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, "the server process exited");
            try
            {
                using var response = await http.GetAsync("/v3/user");
                if (response.StatusCode == HttpStatusCode.Unauthorized) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException("server did not start");
    }

    /// <summary>Where the built server is.</summary>
    private static string ServerDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "src", "Orgstack.Server"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dll = Path.Combine(dir!.FullName, "src", "Orgstack.Server", "bin", config, "net10.0", "Orgstack.Server.dll");
        Assert.True(File.Exists(dll), dll);
        return dll;
    }
}

public static class ServerProcessScenario
{
    /// <summary>
    /// A killed node's mail claims expire after the lease (at least a minute): let that minute pass, so the next node
    /// takes them over at once.
    /// </summary>
    public static Task<int> ExpireMailClaimsAsync(this AppFactory app) =>
        app.DbAsync(d => d.OutboxMessages.Where(m => m.Status == OutboxStatus.Pending && m.LockedUntil != null)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.LockedUntil, DateTimeOffset.UtcNow.AddSeconds(-1))));
}
