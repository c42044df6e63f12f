using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Orgstack.Tests.Support;

namespace Orgstack.Tests.Compat;

/// <summary>
/// The real server on Kestrel (plain HTTP on 127.0.0.1, a free port), in this process, on a fresh SQLite data
/// directory with cheap password hashing, for the npm clients to talk to. Also makes sure the npm packages are installed.
/// Shared by the tests of one class; each test builds its own organization, so tests do not see each other's data.
/// </summary>
public sealed class CompatServer : IAsyncLifetime
{
    public AppFactory App { get; } = new();
    public string BaseUrl { get; private set; } = "";
    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        var install = CompatPackages.EnsureInstalledAsync();
        App.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        App.StartServer();
        BaseUrl = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        Port = new Uri(BaseUrl).Port;
        await install;
        if (CompatPackages.LastInstallDuration is { } took) InstallNote = $"npm ci in tests/compat took {took.TotalSeconds:F1} s";
    }

    /// <summary>Set when this fixture's start installed the npm packages: how long it took.</summary>
    public string? InstallNote { get; private set; }

    public Task DisposeAsync()
    {
        App.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A per-test temporary directory (HOME, CLI config, working directory), deleted with the server.</summary>
    public string TempDirectory(string name)
    {
        var path = Path.Combine(App.DataDirectory, "compat-" + name + "-" + Guid.NewGuid().ToString("n")[..8]);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Runs one SDK scenario (tests/compat/scenarios/{name}.mjs) against this server; fails the test with
    /// the scenario's summary and output unless it reports ok.</summary>
    public async Task<ChildProcess.Outcome> RunScenarioAsync(string name, IReadOnlyDictionary<string, string> variables)
    {
        var home = TempDirectory(name);
        var outcome = await ChildProcess.RunAsync(CompatPackages.Node, [Path.Combine(CompatPackages.ScenariosDirectory, name + ".mjs")],
            CompatPackages.Directory, env =>
            {
                env["HOME"] = home;
                env["ORGSTACK_HOST"] = "127.0.0.1";
                env["ORGSTACK_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                foreach (var (key, value) in variables) env[key] = value;
            }, TimeSpan.FromMinutes(2));
        var summary = outcome.Summary;
        if (outcome.ExitCode != 0 || outcome.TimedOut || summary?["ok"]?.GetValue<bool>() != true)
            Assert.Fail($"SDK scenario '{name}' failed.\n{outcome.Describe()}");
        return outcome;
    }
}
