using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Orgstack.Server.Hosting;

/// <summary>
/// X-Forwarded-For / X-Forwarded-Proto are honoured only from the proxies named in
/// <c>Orgstack:ForwardedHeaders:KnownProxies</c> (IP addresses) or <c>Orgstack:ForwardedHeaders:KnownNetworks</c>
/// (CIDR), as a list or comma-separated. With neither set, the headers are ignored, so a client cannot forge the
/// address that audit records and per-address rate limits see. X-Forwarded-Host is never honoured: emailed links use
/// <c>Orgstack:PublicBaseUrl</c>.
/// </summary>
public static class ForwardedHeadersSetup
{
    public const string Section = "Orgstack:ForwardedHeaders";

    public static void UseOrgstackForwardedHeaders(this WebApplication app)
    {
        var proxies = Values(app.Configuration, "KnownProxies");
        var networks = Values(app.Configuration, "KnownNetworks");
        if (proxies.Count == 0 && networks.Count == 0) return;

        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            ForwardLimit = app.Configuration.GetValue($"{Section}:ForwardLimit", 1),
        };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in proxies)
            options.KnownProxies.Add(IPAddress.TryParse(proxy, out var address)
                ? address : throw new InvalidOperationException($"{Section}:KnownProxies: '{proxy}' is not an IP address."));
        foreach (var network in networks)
            options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var parsed)
                ? parsed : throw new InvalidOperationException($"{Section}:KnownNetworks: '{network}' is not a CIDR network (e.g. 10.0.0.0/8)."));
        app.UseForwardedHeaders(options);
    }

    private static List<string> Values(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection($"{Section}:{key}");
        var values = section.GetChildren().Select(c => c.Value).ToList();
        if (section.Value is { } single) values.Add(single);
        return values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
    }
}
