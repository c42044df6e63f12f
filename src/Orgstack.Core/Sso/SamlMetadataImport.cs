using System.Net;
using System.Text;
using System.Xml;
using Orgstack.Core.Common;

namespace Orgstack.Core.Sso;

/// <summary>What SAML IdP metadata tells the SP: the entity ID, the HTTP-Redirect sign-in URL and the signing certificates.</summary>
public sealed record SamlIdpMetadata(string EntityId, string SsoUrl, IReadOnlyList<string> Certificates);

/// <summary>
/// Reads SAML IdP metadata pasted by an admin or fetched from a URL. The fetch goes through <see cref="SsoOutbound"/>
/// (https only, public addresses only, no redirects, 10 s) and reads at most <see cref="MaxBytes"/>; the XML is parsed
/// with DTDs prohibited and no resolver. The metadata is taken as the admin's statement of trust (it is not signed):
/// the certificates are shown with their SHA-256 fingerprints to check against the IdP's.
/// </summary>
public sealed class SamlMetadataImport(IHttpClientFactory http, OrgstackOptions options)
{
    public const int MaxBytes = 512 * 1024;
    private const string Metadata = "urn:oasis:names:tc:SAML:2.0:metadata";
    private const string DSig = "http://www.w3.org/2000/09/xmldsig#";
    private const string RedirectBinding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

    public static readonly Error BadUrl = Error.Validation("sso.metadata_url",
        "The metadata URL must be an absolute https URL.", "metadata_url");
    public static readonly Error NotReachable = Error.Validation("sso.metadata_unreachable",
        "The metadata could not be fetched from that URL: it must be a public https address that answers directly (no redirect) within 10 seconds with at most 512 KB.",
        "metadata_url");
    public static readonly Error Invalid = Error.Validation("sso.metadata_invalid",
        "The metadata is not SAML 2.0 IdP metadata with an entity ID, an HTTP-Redirect sign-in service and a signing certificate.",
        "metadata");

    public async Task<Result<SamlIdpMetadata>> FetchAsync(string url, CancellationToken ct)
    {
        if (!SsoOutbound.IsIdpUrl(options, url)) return BadUrl;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(SsoOutbound.Timeout);
        try
        {
            using var client = http.CreateClient(OidcRelyingParty.HttpClientName);
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.ParseAdd("application/samlmetadata+xml, application/xml, text/xml");
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            // Redirects are never followed (the target could be internal): the admin enters the final URL.
            if (response.StatusCode != HttpStatusCode.OK) return NotReachable;
            if (response.Content.Headers.ContentLength is > MaxBytes) return NotReachable;
            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, timeout.Token)) > 0)
            {
                if (buffer.Length + read > MaxBytes) return NotReachable;
                buffer.Write(chunk, 0, read);
            }
            return Parse(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or InvalidOperationException)
        {
            return NotReachable;
        }
    }

    public static Result<SamlIdpMetadata> Parse(string xml)
    {
        if (string.IsNullOrWhiteSpace(xml) || xml.Length > MaxBytes) return Invalid;
        try
        {
            var document = new XmlDocument { PreserveWhitespace = false, XmlResolver = null };
            var settings = new XmlReaderSettings
            {
                DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = MaxBytes, IgnoreProcessingInstructions = true,
            };
            using (var reader = XmlReader.Create(new StringReader(xml.TrimStart('\uFEFF')), settings)) document.Load(reader);
            var ns = new XmlNamespaceManager(document.NameTable);
            ns.AddNamespace("md", Metadata);
            ns.AddNamespace("ds", DSig);
            var entity = document.SelectSingleNode("//md:EntityDescriptor[md:IDPSSODescriptor]", ns) as XmlElement;
            var idp = entity?.SelectSingleNode("md:IDPSSODescriptor", ns) as XmlElement;
            var entityId = entity?.GetAttribute("entityID").Trim();
            if (entity is null || idp is null || string.IsNullOrEmpty(entityId)) return Invalid;
            var sso = idp.SelectNodes("md:SingleSignOnService", ns)!.OfType<XmlElement>()
                .FirstOrDefault(e => e.GetAttribute("Binding") == RedirectBinding)?.GetAttribute("Location").Trim();
            if (string.IsNullOrEmpty(sso)) return Invalid;
            var certificates = idp.SelectNodes("md:KeyDescriptor", ns)!.OfType<XmlElement>()
                .Where(k => k.GetAttribute("use") is "" or "signing")
                .SelectMany(k => k.SelectNodes("ds:KeyInfo/ds:X509Data/ds:X509Certificate", ns)!.OfType<XmlElement>())
                .Select(c => string.Concat(c.InnerText.Where(ch => !char.IsWhiteSpace(ch))))
                .Where(c => c.Length > 0).Distinct().Take(5).ToList();
            if (certificates.Count == 0) return Invalid;
            return new SamlIdpMetadata(entityId, sso, certificates);
        }
        catch (Exception e) when (e is XmlException or System.Xml.XPath.XPathException)
        {
            return Invalid;
        }
    }
}
