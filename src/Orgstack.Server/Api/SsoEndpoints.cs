using System.Text.Json;
using Orgstack.Core.Sso;
using Orgstack.Server.Auth;

namespace Orgstack.Server.Api;

/// <summary>Single sign-on settings of an organization (Owner or Admin) and the per-member "access without SSO" flag.</summary>
public static class SsoEndpoints
{
    public static void Map(RouteGroupBuilder v3)
    {
        var organizations = v3.MapGroup("/organizations").RequireSession().WithTags("Single sign-on");

        organizations.MapGet("/{organizationUid}/sso", async (string organizationUid, HttpContext http, GetSsoSettings get, CancellationToken ct) =>
            ApiResults.From(await get.HandleAsync(organizationUid, http.Actor()!, ct), v => new { sso = Wire(v) }))
            .WithSummary("The organization's single sign-on settings and its service-provider URLs.");

        organizations.MapPut("/{organizationUid}/sso", async (string organizationUid, HttpContext http, UpdateSsoSettings update, CancellationToken ct) =>
        {
            var (body, error) = await ShareWire.ReadAsync(http.Request, ct);
            if (error is not null) return error;
            if (body is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty("sso", out var sso) || sso.ValueKind != JsonValueKind.Object)
                return ShareWire.Invalid("sso", "The body must be {\"sso\": {...}}.");
            var saml = Object(sso, "saml");
            var oidc = Object(sso, "oidc");
            List<string>? certificates = null;
            if (saml is { } s && s.TryGetProperty("idp_certificates", out var certs))
            {
                certificates = ShareWire.Strings(certs);
                if (certificates is null) return ShareWire.Invalid("idp_certificates", "idp_certificates must be an array of strings.");
            }
            var jit = Object(sso, "jit");
            List<string>? domains = null;
            if (jit is { } j && j.TryGetProperty("domains", out var list))
            {
                domains = ShareWire.Strings(list);
                if (domains is null) return ShareWire.Invalid("jit_domains", "jit.domains must be an array of domain names.");
            }
            var request = new UpdateSsoRequest(organizationUid,
                String(sso, "protocol"), Bool(sso, "enabled"), Bool(sso, "strict"),
                saml is { } a ? String(a, "idp_entity_id") : null, saml is { } b ? String(b, "idp_sso_url") : null, certificates,
                oidc is { } c ? String(c, "issuer") : null, oidc is { } d ? String(d, "client_id") : null,
                oidc is { } e ? String(e, "client_secret") : null, oidc is { } f ? String(f, "scopes") : null,
                saml is { } g ? String(g, "metadata_url") : null, saml is { } h ? String(h, "metadata_xml") : null,
                jit is { } k ? Bool(k, "enabled") : null, domains);
            return ApiResults.From(await update.HandleAsync(request, http.Actor()!, ct), v => new { notice = "Single sign-on settings saved.", sso = Wire(v) });
        }).WithSummary("Create or change the organization's single sign-on settings; turn it on (after a test sign-in), off, strict.");

        organizations.MapPut("/{organizationUid}/share/{shareUid}/sso_access", async (string organizationUid, string shareUid, HttpContext http, SetMemberSsoAccess set, CancellationToken ct) =>
        {
            var (body, error) = await ShareWire.ReadAsync(http.Request, ct);
            if (error is not null) return error;
            if (body is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty("share", out var share) || share.ValueKind != JsonValueKind.Object
                || Bool(share, "access_without_sso") is not { } allow)
                return ShareWire.Invalid("access_without_sso", "The body must be {\"share\": {\"access_without_sso\": true|false}}.");
            return ApiResults.From(await set.HandleAsync(organizationUid, shareUid, allow, http.Actor()!, ct),
                m => new { notice = "Member updated.", share = ShareWire.Share(m) });
        }).WithSummary("Allow a member to reach the organization without SSO (when strict mode is off), or not.");
    }

    private static object Wire(SsoView view)
    {
        var c = view.Configuration;
        return new Dictionary<string, object?>
        {
            ["configured"] = c is not null,
            ["protocol"] = c?.Protocol.ToString().ToLowerInvariant(),
            ["enabled"] = c?.Enabled ?? false,
            ["strict"] = c?.Strict ?? false,
            ["tested"] = c?.TestedAt is not null,
            ["tested_at"] = c?.TestedAt,
            ["saml"] = new Dictionary<string, object?>
            {
                ["idp_entity_id"] = c?.SamlIdpEntityId,
                ["idp_sso_url"] = c?.SamlIdpSsoUrl,
                ["metadata_url"] = c?.SamlIdpMetadataUrl,
                ["idp_certificates"] = view.Certificates.Select(x => new Dictionary<string, object?>
                {
                    ["subject"] = x.Subject,
                    ["not_after"] = new DateTimeOffset(x.NotAfter.ToUniversalTime()),
                    ["sha256_fingerprint"] = x.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256),
                }).ToList(),
                ["sp_entity_id"] = view.SpEntityId,
                ["sp_acs_url"] = view.SpAcsUrl,
                ["sp_metadata_url"] = view.SpEntityId,
            },
            ["oidc"] = new Dictionary<string, object?>
            {
                ["issuer"] = c?.OidcIssuer,
                ["client_id"] = c?.OidcClientId,
                ["client_secret_set"] = c?.OidcClientSecret is not null,
                ["scopes"] = c?.OidcScopes,
                ["redirect_uri"] = view.OidcRedirectUri,
            },
            ["jit"] = new Dictionary<string, object?>
            {
                ["enabled"] = c?.JitEnabled ?? false,
                ["domains"] = c?.JitDomains?.Split('\n') ?? [],
            },
        };
    }

    private static JsonElement? Object(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    private static string? String(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool? Bool(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : null;
}
