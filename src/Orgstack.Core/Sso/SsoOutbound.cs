using System.Net;
using System.Net.Sockets;
using Orgstack.Core.Common;

namespace Orgstack.Core.Sso;

/// <summary>
/// The one way the server reaches an identity provider (metadata import, OIDC discovery, JWKS, token and UserInfo
/// endpoints): no proxy, no cookies, no redirects, a short timeout, and a connect step that resolves the host itself and
/// refuses loopback, private, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast and reserved
/// addresses. The address checked is the address connected to, so a DNS answer that changes between a check and the
/// connection (DNS rebinding) cannot slip through. <c>Sso:AllowLocalIdp</c> lifts the address rule (tests with IdPs on
/// 127.0.0.1 only).
/// </summary>
public static class SsoOutbound
{
    public static TimeSpan Timeout { get; } = TimeSpan.FromSeconds(10);

    public static SocketsHttpHandler CreateHandler(OrgstackOptions options) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        ConnectTimeout = Timeout,
        ConnectCallback = (context, ct) => ConnectAsync(context.DnsEndPoint, options.Sso.AllowLocalIdp, ct),
    };

    /// <summary>Thrown (inside an HttpRequestException) when the host resolves to an address the server must not reach.</summary>
    public sealed class RefusedAddressException(string host) : IOException($"The identity provider host {host} resolves to an address that is not allowed.");

    public static async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, bool allowLocal, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(endPoint.Host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endPoint.Host, ct);
        // Every answer must be allowed: a name that also resolves to an internal address is refused as a whole.
        if (addresses.Length == 0 || (!allowLocal && addresses.Any(IsRefused))) throw new RefusedAddressException(endPoint.Host);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>True for every address an identity provider on the internet cannot have.</summary>
    public static bool IsRefused(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 or 10 or 127 => true,                              // "this network", private, loopback
                100 => b[1] >= 64 && b[1] <= 127,                    // carrier-grade NAT 100.64/10
                169 => b[1] == 254,                                  // link-local, cloud metadata
                172 => b[1] >= 16 && b[1] <= 31,                     // private 172.16/12
                192 => (b[1] == 168) || (b[1] == 0 && (b[2] == 0 || b[2] == 2)),   // private, IETF, TEST-NET-1
                198 => b[1] is 18 or 19 || (b[1] == 51 && b[2] == 100), // benchmarking, TEST-NET-2
                203 => b[1] == 0 && b[2] == 113,                     // TEST-NET-3
                >= 224 => true,                                      // multicast, reserved, broadcast
                _ => false,
            };
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return true;
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.IPv6Any) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal
            || address.IsIPv6UniqueLocal || address.IsIPv6Multicast) return true;
        var v6 = address.GetAddressBytes();
        // NAT64 (64:ff9b::/96), 6to4 (2002::/16) and Teredo (2001::/32) carry IPv4 addresses inside: refuse them all,
        // as well as documentation addresses (2001:db8::/32) and IPv4-compatible ::a.b.c.d.
        if (v6[0] == 0x00 && v6[1] == 0x64 && v6[2] == 0xff && v6[3] == 0x9b) return true;
        if (v6[0] == 0x20 && v6[1] == 0x02) return true;
        if (v6[0] == 0x20 && v6[1] == 0x01 && ((v6[2] == 0 && v6[3] == 0) || (v6[2] == 0x0d && v6[3] == 0xb8))) return true;
        return v6.Take(12).All(x => x == 0);
    }

    /// <summary>An absolute IdP URL: https (or http when <c>Sso:RequireHttps</c> is off), no user info, no fragment.</summary>
    public static bool IsIdpUrl(OrgstackOptions options, string value) =>
        value.Length <= 500 && Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || (!options.Sso.RequireHttps && uri.Scheme == Uri.UriSchemeHttp))
        && string.IsNullOrEmpty(uri.UserInfo) && string.IsNullOrEmpty(uri.Fragment);
}
