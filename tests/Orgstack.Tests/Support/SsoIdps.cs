using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Orgstack.Tests.Compat;

namespace Orgstack.Tests.Support;

/// <summary>
/// tests/sso: the npm packages of the local identity providers (oidc-provider, samlify, xml-crypto), installed with
/// <c>npm ci</c> on first use under a cross-process lock, like the compatibility suite's packages.
/// </summary>
public static class SsoPackages
{
    private static readonly NpmFolder Folder = new("sso");

    public static string Directory => Folder.Directory;

    public static Task EnsureInstalledAsync() => Folder.EnsureInstalledAsync();
}

/// <summary>A node script listening on 127.0.0.1 (it prints {"port": N}); killed with its tree on dispose.</summary>
public sealed class NodeServer : IAsyncDisposable
{
    private readonly Process process;
    public int Port { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    private NodeServer(Process process, int port)
    {
        this.process = process;
        Port = port;
    }

    public static async Task<NodeServer> StartAsync(string script, IDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(CompatPackages.Node)
        {
            WorkingDirectory = SsoPackages.Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(script);
        foreach (var name in new[] { "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy" }) info.Environment.Remove(name);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start");
        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (errors) errors.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null) throw new InvalidOperationException($"{script} exited: {errors}");
            if (!line.StartsWith("{\"port\"", StringComparison.Ordinal)) continue;
            var port = JsonNode.Parse(line)!["port"]!.GetValue<int>();
            _ = DrainAsync(process);
            return new NodeServer(process, port);
        }
    }

    private static async Task DrainAsync(Process process)
    {
        try { while (await process.StandardOutput.ReadLineAsync() is not null) { } } catch (InvalidOperationException) { }
    }

    public async ValueTask DisposeAsync()
    {
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await process.WaitForExitAsync();
        process.Dispose();
    }
}

/// <summary>Throwaway keys made with openssl for this test run: the IdP's and a stranger's.</summary>
public sealed class SsoKeys : IDisposable
{
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "orgstack-sso-keys", Guid.NewGuid().ToString("n"));
    public string IdpCertificatePem => File.ReadAllText(Path.Combine(Directory, "idp-cert.pem"));
    public string OtherCertificatePem => File.ReadAllText(Path.Combine(Directory, "other-cert.pem"));

    public static async Task<SsoKeys> CreateAsync()
    {
        var keys = new SsoKeys();
        System.IO.Directory.CreateDirectory(keys.Directory);
        foreach (var name in new[] { "idp", "other" })
        {
            var result = await ChildProcess.RunAsync("openssl",
                ["req", "-x509", "-newkey", "rsa:2048", "-sha256", "-nodes", "-days", "30", "-subj", $"/CN={name}.test",
                 "-keyout", Path.Combine(keys.Directory, $"{name}-key.pem"), "-out", Path.Combine(keys.Directory, $"{name}-cert.pem")],
                keys.Directory, null, TimeSpan.FromSeconds(60));
            if (result.ExitCode != 0) throw new InvalidOperationException("openssl failed: " + result.Describe());
        }
        return keys;
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Both local identity providers, started once per test class.</summary>
public sealed class SsoIdpFixture : IAsyncLifetime
{
    public const string ClientId = "orgstack-test";
    public const string ClientSecret = "orgstack-test-secret";
    public SsoKeys Keys { get; private set; } = null!;
    public NodeServer Oidc { get; private set; } = null!;
    public NodeServer Saml { get; private set; } = null!;
    public HttpClient Control { get; } = new(new SocketsHttpHandler { UseProxy = false });

    public async Task InitializeAsync()
    {
        await SsoPackages.EnsureInstalledAsync();
        Keys = await SsoKeys.CreateAsync();
        Oidc = await NodeServer.StartAsync("oidc-idp.mjs", new Dictionary<string, string> { ["OIDC_CLIENT_ID"] = ClientId, ["OIDC_CLIENT_SECRET"] = ClientSecret });
        Saml = await NodeServer.StartAsync("saml-idp.mjs", new Dictionary<string, string> { ["KEYS_DIR"] = Keys.Directory });
    }

    public async Task DisposeAsync()
    {
        Control.Dispose();
        if (Oidc is not null) await Oidc.DisposeAsync();
        if (Saml is not null) await Saml.DisposeAsync();
        Keys?.Dispose();
    }

    public async Task<JsonNode> OidcControlAsync(string path, object body)
    {
        using var response = await Control.PostAsJsonAsync($"{Oidc.BaseUrl}/_test/{path}", body);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    public Task OidcModeAsync(string mode) => OidcControlAsync("mode", new { mode });

    public async Task SamlSpAsync(string entityId, string acs)
    {
        using var response = await Control.PostAsJsonAsync($"{Saml.BaseUrl}/_test/sp", new { entityId, acs });
        response.EnsureSuccessStatusCode();
    }

    /// <summary>A hand-built SAML response from the IdP (fields as in saml-idp.mjs), as XML text.</summary>
    public async Task<string> SamlResponseXmlAsync(object options)
    {
        using var response = await Control.PostAsJsonAsync($"{Saml.BaseUrl}/_test/response", options);
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["xml"]!.GetValue<string>();
    }
}
