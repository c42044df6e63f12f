using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Orgstack.Core.Common;
using Orgstack.Core.Data;

namespace Orgstack.Core.Sso;

/// <summary>
/// Discovery documents and signing keys per issuer, shared by every request of the process, kept for 6 hours. An
/// unknown <c>kid</c> triggers a refetch at most once per <c>Sso:KeyRefetchSeconds</c> per issuer (no refetch storm).
/// </summary>
public sealed class OidcMetadataCache(IHttpClientFactory http, OrgstackOptions options, TimeProvider clock)
{
    private sealed record Entry(OpenIdConnectConfiguration Configuration, DateTimeOffset FetchedAt);

    private readonly ConcurrentDictionary<string, Entry> entries = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new();

    public async Task<OpenIdConnectConfiguration> GetAsync(string issuer, CancellationToken ct)
    {
        if (entries.TryGetValue(issuer, out var entry) && clock.GetUtcNow() - entry.FetchedAt < TimeSpan.FromHours(6)) return entry.Configuration;
        return await FetchAsync(issuer, null, ct);
    }

    /// <summary>Fetches again, unless the last fetch is more recent than the refetch interval; the configuration to use.</summary>
    public Task<OpenIdConnectConfiguration> RefetchAsync(string issuer, CancellationToken ct) =>
        FetchAsync(issuer, TimeSpan.FromSeconds(options.Sso.KeyRefetchSeconds), ct);

    private async Task<OpenIdConnectConfiguration> FetchAsync(string issuer, TimeSpan? unlessYoungerThan, CancellationToken ct)
    {
        var gate = locks.GetOrAdd(issuer, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (entries.TryGetValue(issuer, out var entry))
            {
                var age = clock.GetUtcNow() - entry.FetchedAt;
                if (unlessYoungerThan is { } min ? age < min : age < TimeSpan.FromHours(6)) return entry.Configuration;
            }
            var retriever = new HttpDocumentRetriever(http.CreateClient(OidcRelyingParty.HttpClientName)) { RequireHttps = options.Sso.RequireHttps };
            var configuration = await OpenIdConnectConfigurationRetriever.GetAsync(issuer.TrimEnd('/') + "/.well-known/openid-configuration", retriever, ct);
            entries[issuer] = new Entry(configuration, clock.GetUtcNow());
            return configuration;
        }
        finally
        {
            gate.Release();
        }
    }
}

/// <summary>
/// The OpenID Connect relying party: authorization code flow with PKCE S256, state bound to the browser, nonce,
/// client_secret_basic, and strict ID token validation. Identity = (issuer, sub).
/// </summary>
public sealed class OidcRelyingParty(OrgstackDbContext db, OrgstackOptions options, OidcMetadataCache metadata, SsoLogins logins,
    IHttpClientFactory http, IDataProtectionProvider protection, TimeProvider clock)
{
    public const string HttpClientName = "orgstack-sso";
    public const string SecretPurpose = "Orgstack.Sso.ClientSecret";
    private const string VerifierPurpose = "Orgstack.Sso.Pkce";
    private static readonly string[] Algorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSsaPssSha256];

    public string RedirectUri(string organizationUid) => $"{options.PublicBaseUrl.TrimEnd('/')}/sso/{organizationUid}/oidc/callback";

    /// <summary>The authorization URL to send the browser to, after recording the request for this browser.</summary>
    public async Task<Result<string>> StartAsync(string organizationUid, string browserValue, CancellationToken ct)
    {
        if (!Ids.LooksValid(organizationUid)) return SsoErrors.NotConfigured;
        var config = await db.SsoConfigurations.AsNoTracking().FirstOrDefaultAsync(c => c.OrganizationUid == organizationUid && c.Protocol == SsoProtocol.Oidc, ct);
        if (config?.OidcIssuer is null || config.OidcClientId is null) return SsoErrors.NotConfigured;
        OpenIdConnectConfiguration discovery;
        try
        {
            discovery = await DiscoverAsync(config.OidcIssuer, ct);
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException or SecurityTokenException or ArgumentException)
        {
            return SsoErrors.Rejected;
        }

        var state = Secrets.NewToken();
        var nonce = Secrets.NewToken();
        var verifier = Secrets.NewToken();
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        await logins.BeginAsync(organizationUid, SsoProtocol.Oidc, state, browserValue, nonce,
            protection.CreateProtector(VerifierPurpose).Protect(verifier), ct);
        var query = new Dictionary<string, string>
        {
            ["response_type"] = "code",
            ["client_id"] = config.OidcClientId,
            ["redirect_uri"] = RedirectUri(organizationUid),
            ["scope"] = config.OidcScopes,
            ["state"] = state,
            ["nonce"] = nonce,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        };
        var separator = discovery.AuthorizationEndpoint.Contains('?') ? "&" : "?";
        return discovery.AuthorizationEndpoint + separator + string.Join('&', query.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
    }

    /// <summary>Handles the redirect back from the OP. Every failure is the same generic error (and audited by the caller).</summary>
    public async Task<Result<SsoIdentity>> CallbackAsync(string organizationUid, string? code, string? state, string? issParameter,
        string? error, string? browserValue, CancellationToken ct)
    {
        if (!Ids.LooksValid(organizationUid)) return SsoErrors.Rejected;
        var config = await db.SsoConfigurations.AsNoTracking().FirstOrDefaultAsync(c => c.OrganizationUid == organizationUid && c.Protocol == SsoProtocol.Oidc, ct);
        if (config?.OidcIssuer is null || config.OidcClientId is null || config.OidcClientSecret is null) return SsoErrors.Rejected;
        // The request is consumed first: whatever happens next, this state cannot be used again.
        var request = await logins.ConsumeAsync(organizationUid, SsoProtocol.Oidc, state, browserValue, ct);
        if (request is null || error is not null || string.IsNullOrEmpty(code) || code.Length > 2048) return SsoErrors.Rejected;
        // RFC 9207: when the OP names itself on the callback, it must be this organization's issuer (mix-up defence).
        if (issParameter is not null && issParameter != config.OidcIssuer) return SsoErrors.Rejected;
        try
        {
            var discovery = await DiscoverAsync(config.OidcIssuer, ct);
            var verifier = protection.CreateProtector(VerifierPurpose).Unprotect(request.PkceVerifier!);
            var secret = protection.CreateProtector(SecretPurpose).Unprotect(config.OidcClientSecret);
            var (idToken, accessToken) = await ExchangeAsync(discovery, config.OidcClientId, secret, code, RedirectUri(organizationUid), verifier, ct);
            if (idToken is null) return SsoErrors.Rejected;
            var claims = await ValidateIdTokenAsync(config.OidcIssuer, config.OidcClientId, idToken, request.Nonce!, ct);
            if (claims is null) return SsoErrors.Rejected;
            // The ID token has no email: ask UserInfo (OIDC Core 5.3), whose sub must be the ID token's (5.3.2).
            if (claims.Value.Email is null && !string.IsNullOrEmpty(discovery.UserInfoEndpoint) && accessToken is not null)
            {
                claims = await UserInfoAsync(discovery.UserInfoEndpoint, accessToken, claims.Value, ct);
                if (claims is null) return SsoErrors.Rejected;
            }
            return new SsoIdentity(organizationUid, config.OidcIssuer, claims.Value.Sub, claims.Value.Email, claims.Value.EmailVerified,
                claims.Value.GivenName, claims.Value.FamilyName);
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException or SecurityTokenException
                                      or ArgumentException or JsonException or CryptographicException or TaskCanceledException)
        {
            return SsoErrors.Rejected;
        }
    }

    private async Task<OpenIdConnectConfiguration> DiscoverAsync(string issuer, CancellationToken ct)
    {
        var discovery = await metadata.GetAsync(issuer, ct);
        // The discovery document must name exactly the configured issuer (OIDC Discovery 4.3).
        if (discovery.Issuer != issuer) throw new InvalidOperationException("issuer mismatch in discovery");
        if (options.Sso.RequireHttps && !discovery.TokenEndpoint.StartsWith("https://", StringComparison.Ordinal))
            throw new InvalidOperationException("token endpoint must be https");
        return discovery;
    }

    /// <summary>The UserInfo claims merged into the ID token's; null when UserInfo answers for another subject or not as JSON.</summary>
    private async Task<IdTokenClaims?> UserInfoAsync(string endpoint, string accessToken, IdTokenClaims fromIdToken, CancellationToken ct)
    {
        if (options.Sso.RequireHttps && !endpoint.StartsWith("https://", StringComparison.Ordinal)) return null;
        using var message = new HttpRequestMessage(HttpMethod.Get, endpoint);
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        message.Headers.Accept.ParseAdd("application/json");
        using var client = http.CreateClient(HttpClientName);
        using var response = await client.SendAsync(message, ct);
        if (!response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != "application/json") return null;
        var body = await response.Content.ReadAsStringAsync(ct);
        if (body.Length > 100_000) return null;
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return null;
        string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        if (Text("sub") is not { } sub || sub != fromIdToken.Sub) return null;
        var verified = root.TryGetProperty("email_verified", out var ev) && ev.ValueKind == JsonValueKind.True;
        return fromIdToken with
        {
            Email = Text("email"), EmailVerified = verified,
            GivenName = fromIdToken.GivenName ?? Text("given_name"), FamilyName = fromIdToken.FamilyName ?? Text("family_name"),
        };
    }

    private async Task<(string? IdToken, string? AccessToken)> ExchangeAsync(OpenIdConnectConfiguration discovery, string clientId, string secret, string code,
        string redirectUri, string verifier, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, discovery.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["redirect_uri"] = redirectUri,
                ["code_verifier"] = verifier,
            }),
        };
        // client_secret_basic: both parts form-urlencoded first (RFC 6749 2.3.1).
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}"));
        message.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
        using var client = http.CreateClient(HttpClientName);
        using var response = await client.SendAsync(message, ct);
        if (!response.IsSuccessStatusCode) return (null, null);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (body.Length > 200_000) return (null, null);
        using var json = JsonDocument.Parse(body);
        if (json.RootElement.ValueKind != JsonValueKind.Object) return (null, null);
        string? Text(string name) => json.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return (Text("id_token"), Text("access_token"));
    }

    public readonly record struct IdTokenClaims(string Sub, string? Email, bool EmailVerified, string? GivenName, string? FamilyName);

    /// <summary>Checks signature (allow-listed algorithms, issuer keys, one refetch on an unknown key), iss, aud, azp, exp, iat, nonce, sub.</summary>
    public async Task<IdTokenClaims?> ValidateIdTokenAsync(string issuer, string clientId, string idToken, string nonce, CancellationToken ct)
    {
        var handler = new JsonWebTokenHandler { MapInboundClaims = false };
        var result = await ValidateOnceAsync(handler, issuer, clientId, idToken, ct);
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            await metadata.RefetchAsync(issuer, ct);
            result = await ValidateOnceAsync(handler, issuer, clientId, idToken, ct);
        }
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt) return null;
        if (!Algorithms.Contains(jwt.Alg)) return null;

        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var skew = options.Sso.ClockSkewSeconds;
        if (!jwt.TryGetPayloadValue<long>("exp", out var exp) || exp + skew <= now) return null;
        if (!jwt.TryGetPayloadValue<long>("iat", out var iat) || iat - skew > now) return null;
        if (jwt.TryGetPayloadValue<long>("nbf", out var nbf) && nbf - skew > now) return null;
        if (!jwt.TryGetPayloadValue<string>("nonce", out var tokenNonce)
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(tokenNonce ?? ""), Encoding.UTF8.GetBytes(nonce))) return null;
        var audiences = jwt.Audiences.ToList();
        if (!audiences.Contains(clientId)) return null;
        var hasAzp = jwt.TryGetPayloadValue<string>("azp", out var azp);
        if (audiences.Count > 1 && (!hasAzp || azp != clientId)) return null;
        if (hasAzp && azp != clientId) return null;
        if (!jwt.TryGetPayloadValue<string>("sub", out var sub) || string.IsNullOrEmpty(sub) || sub.Length > 255) return null;
        jwt.TryGetPayloadValue<string>("email", out var email);
        var verified = jwt.TryGetPayloadValue<bool>("email_verified", out var v) && v;
        jwt.TryGetPayloadValue<string>("given_name", out var given);
        jwt.TryGetPayloadValue<string>("family_name", out var family);
        return new IdTokenClaims(sub, email, verified, given, family);
    }

    private async Task<TokenValidationResult> ValidateOnceAsync(JsonWebTokenHandler handler, string issuer, string clientId, string idToken, CancellationToken ct)
    {
        var discovery = await DiscoverAsync(issuer, ct);
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidateIssuer = true,
            ValidAudience = clientId,
            ValidateAudience = true,
            // Lifetime is checked by hand against the injected clock.
            ValidateLifetime = false,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            IssuerSigningKeys = discovery.SigningKeys,
            ValidAlgorithms = Algorithms,
            TryAllIssuerSigningKeys = true,
        };
        return await handler.ValidateTokenAsync(idToken, parameters);
    }
}
