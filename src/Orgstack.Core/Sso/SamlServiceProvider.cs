using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Text;
using System.Xml;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Common;
using Orgstack.Core.Data;

namespace Orgstack.Core.Sso;

/// <summary>
/// The SAML 2.0 service provider: SP-initiated HTTP-Redirect AuthnRequests and an HTTP-POST assertion consumer that
/// checks everything itself (signature with the organization's certificates only, the signed element being the one
/// read, issuer, destination, audience, recipient, time window, InResponseTo, status, one-time assertion ID).
/// </summary>
public sealed class SamlServiceProvider(OrgstackDbContext db, OrgstackOptions options, SsoLogins logins, TimeProvider clock)
{
    public const string Protocol = "urn:oasis:names:tc:SAML:2.0:protocol";
    public const string Assertion = "urn:oasis:names:tc:SAML:2.0:assertion";
    private const string DSig = SignedXml.XmlDsigNamespaceUrl;
    private const int MaxResponseBytes = 256 * 1024;

    private static readonly HashSet<string> SignatureMethods =
    [
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    ];

    private static readonly HashSet<string> DigestMethods =
    [
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "http://www.w3.org/2001/04/xmldsig-more#sha384",
        "http://www.w3.org/2001/04/xmlenc#sha512",
    ];

    private static readonly HashSet<string> Transforms = [SignedXml.XmlDsigEnvelopedSignatureTransformUrl, SignedXml.XmlDsigExcC14NTransformUrl];

    public string Base(string organizationUid) => $"{options.PublicBaseUrl.TrimEnd('/')}/sso/{organizationUid}/saml";
    public string EntityId(string organizationUid) => Base(organizationUid) + "/metadata";
    public string AcsUrl(string organizationUid) => Base(organizationUid) + "/acs";

    public string Metadata(string organizationUid) =>
        $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{Escape(EntityId(organizationUid))}">
          <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="{Protocol}">
            <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
            <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{Escape(AcsUrl(organizationUid))}" index="0" isDefault="true"/>
          </md:SPSSODescriptor>
        </md:EntityDescriptor>
        """;

    public async Task<bool> IsConfiguredAsync(string organizationUid, CancellationToken ct) =>
        Ids.LooksValid(organizationUid) && await db.SsoConfigurations.AnyAsync(c => c.OrganizationUid == organizationUid && c.Protocol == SsoProtocol.Saml, ct);

    /// <summary>The IdP URL carrying a deflated AuthnRequest (HTTP-Redirect binding), after recording the request.</summary>
    public async Task<Result<string>> StartAsync(string organizationUid, string browserValue, CancellationToken ct)
    {
        if (!Ids.LooksValid(organizationUid)) return SsoErrors.NotConfigured;
        var config = await db.SsoConfigurations.AsNoTracking().FirstOrDefaultAsync(c => c.OrganizationUid == organizationUid && c.Protocol == SsoProtocol.Saml, ct);
        if (config?.SamlIdpSsoUrl is null || config.SamlIdpEntityId is null) return SsoErrors.NotConfigured;
        var id = "_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        var now = clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var xml = $"<samlp:AuthnRequest xmlns:samlp=\"{Protocol}\" xmlns:saml=\"{Assertion}\" ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{now}\" "
                  + $"Destination=\"{Escape(config.SamlIdpSsoUrl)}\" AssertionConsumerServiceURL=\"{Escape(AcsUrl(organizationUid))}\" "
                  + $"ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\"><saml:Issuer>{Escape(EntityId(organizationUid))}</saml:Issuer>"
                  + "<samlp:NameIDPolicy Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\" AllowCreate=\"true\"/></samlp:AuthnRequest>";
        using var buffer = new MemoryStream();
        using (var deflate = new DeflateStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            deflate.Write(Encoding.UTF8.GetBytes(xml));
        await logins.BeginAsync(organizationUid, SsoProtocol.Saml, id, browserValue, null, null, ct);
        var separator = config.SamlIdpSsoUrl.Contains('?') ? "&" : "?";
        return config.SamlIdpSsoUrl + separator + "SAMLRequest=" + Uri.EscapeDataString(Convert.ToBase64String(buffer.ToArray()));
    }

    /// <summary>Validates a posted SAMLResponse; the identity on success. Every failure is the same generic error.</summary>
    public async Task<Result<SsoIdentity>> ConsumeAsync(string organizationUid, string? samlResponse, string? browserValue, CancellationToken ct)
    {
        if (!Ids.LooksValid(organizationUid) || string.IsNullOrEmpty(samlResponse) || samlResponse.Length > MaxResponseBytes * 4 / 3 + 4)
            return SsoErrors.Rejected;
        var config = await db.SsoConfigurations.AsNoTracking().FirstOrDefaultAsync(c => c.OrganizationUid == organizationUid && c.Protocol == SsoProtocol.Saml, ct);
        if (config?.SamlIdpEntityId is null) return SsoErrors.Rejected;
        var certificates = ParseCertificates(config.SamlIdpCertificates);
        // No certificate, no trust: never fail open.
        if (certificates.Count == 0) return SsoErrors.Rejected;

        Checked? result;
        try
        {
            var bytes = Convert.FromBase64String(samlResponse);
            var document = Load(bytes);
            result = Check(document, config.SamlIdpEntityId, certificates, organizationUid);
        }
        catch (Exception e) when (e is FormatException or XmlException or CryptographicException or InvalidOperationException or ArgumentException)
        {
            return SsoErrors.Rejected;
        }
        finally
        {
            foreach (var certificate in certificates) certificate.Dispose();
        }
        if (result is null) return SsoErrors.Rejected;

        // Solicited only: the request must be outstanding, of this organization, from this browser; consumed once.
        var request = await logins.ConsumeAsync(organizationUid, SsoProtocol.Saml, result.InResponseTo, browserValue, ct);
        if (request is null) return SsoErrors.Rejected;
        // One use of an assertion ID across every node, for as long as it is valid.
        if (!await logins.MarkAssertionUsedAsync(organizationUid, result.AssertionId, result.ExpiresAt.AddSeconds(options.Sso.ClockSkewSeconds), ct))
            return SsoErrors.Rejected;
        var nameId = result.NameId;
        // An email NameID from the organization's own IdP counts as verified for linking an invitation of this organization.
        var isEmail = Emails.IsValid(nameId);
        return new SsoIdentity(organizationUid, config.SamlIdpEntityId, nameId, isEmail ? nameId : result.Email, isEmail || result.Email is not null);
    }

    private sealed record Checked(string AssertionId, string NameId, string? Email, string InResponseTo, DateTimeOffset ExpiresAt);

    internal static XmlDocument Load(byte[] bytes)
    {
        if (bytes.Length > MaxResponseBytes) throw new XmlException("too large");
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = MaxResponseBytes,
            MaxCharactersFromEntities = 0,
            IgnoreProcessingInstructions = false,
        };
        var document = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        using var reader = XmlReader.Create(new MemoryStream(bytes), settings);
        document.Load(reader);
        return document;
    }

    private Checked? Check(XmlDocument document, string idpEntityId, IReadOnlyList<X509Certificate2> certificates, string organizationUid)
    {
        var now = clock.GetUtcNow();
        var skew = TimeSpan.FromSeconds(options.Sso.ClockSkewSeconds);
        var acs = AcsUrl(organizationUid);

        // Processing instructions and comments have no place in a response (parser-differential tricks).
        if (document.SelectNodes("//comment()|//processing-instruction()")!.Count > 0) return null;
        if (document.DocumentType is not null) return null;
        var response = document.DocumentElement;
        if (response is null || response.LocalName != "Response" || response.NamespaceURI != Protocol) return null;
        if (response.GetAttribute("Version") != "2.0") return null;
        if (response.GetAttribute("Destination") != acs) return null;
        var responseId = response.GetAttribute("ID");
        if (responseId.Length == 0) return null;

        var responseIssuer = Children(response, Assertion, "Issuer");
        if (responseIssuer.Count > 1 || (responseIssuer.Count == 1 && responseIssuer[0].InnerText.Trim() != idpEntityId)) return null;

        var status = Children(response, Protocol, "Status");
        if (status.Count != 1) return null;
        var statusCode = Children(status[0], Protocol, "StatusCode");
        if (statusCode.Count != 1 || statusCode[0].GetAttribute("Value") != "urn:oasis:names:tc:SAML:2.0:status:Success") return null;

        // Exactly one Assertion in the whole document, a direct child of the Response; nothing encrypted.
        if (document.GetElementsByTagName("Assertion", Assertion).Count != 1) return null;
        if (document.GetElementsByTagName("EncryptedAssertion", Assertion).Count != 0) return null;
        var assertions = Children(response, Assertion, "Assertion");
        if (assertions.Count != 1) return null;
        var assertion = assertions[0];
        var assertionId = assertion.GetAttribute("ID");
        if (assertionId.Length == 0 || assertionId.Length > 256) return null;

        // IDs must be unique in the document, or a Reference could resolve to a different element than the one read.
        var ids = document.SelectNodes("//@ID|//@Id|//@id")!;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (XmlAttribute attribute in ids) if (!seen.Add(attribute.Value)) return null;

        // Signatures: only directly inside the Assertion (covering it) or the Response (covering it); the consumed
        // Assertion must be covered by at least one, and every signature present must verify.
        var signatures = document.GetElementsByTagName("Signature", DSig);
        if (signatures.Count is 0 or > 2) return null;
        var assertionSigned = false;
        foreach (XmlElement signature in signatures.Cast<XmlElement>().ToList())
        {
            if (signature.ParentNode == assertion)
            {
                if (!Verify(document, signature, assertion, assertionId, certificates)) return null;
                assertionSigned = true;
            }
            else if (signature.ParentNode == response)
            {
                if (!Verify(document, signature, response, responseId, certificates)) return null;
                assertionSigned = true;
            }
            else return null;
        }
        if (!assertionSigned) return null;

        var issuers = Children(assertion, Assertion, "Issuer");
        if (issuers.Count != 1 || issuers[0].InnerText.Trim() != idpEntityId) return null;

        var subjects = Children(assertion, Assertion, "Subject");
        if (subjects.Count != 1) return null;
        var nameIds = Children(subjects[0], Assertion, "NameID");
        if (nameIds.Count != 1) return null;
        // Text only (no comments or child elements), read whole: the comment-truncation flaw cannot apply.
        if (nameIds[0].ChildNodes.Cast<XmlNode>().Any(n => n.NodeType is not (XmlNodeType.Text or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace)))
            return null;
        var nameId = nameIds[0].InnerText.Trim();
        if (nameId.Length is 0 or > 255) return null;

        // Bearer confirmation: Recipient is our ACS, InResponseTo matches, not expired.
        string? inResponseTo = null;
        DateTimeOffset? confirmationExpires = null;
        foreach (var confirmation in Children(subjects[0], Assertion, "SubjectConfirmation"))
        {
            if (confirmation.GetAttribute("Method") != "urn:oasis:names:tc:SAML:2.0:cm:bearer") continue;
            var data = Children(confirmation, Assertion, "SubjectConfirmationData");
            if (data.Count != 1) continue;
            if (data[0].GetAttribute("Recipient") != acs) continue;
            var notOnOrAfter = Time(data[0].GetAttribute("NotOnOrAfter"));
            if (notOnOrAfter is null || notOnOrAfter.Value + skew <= now) continue;
            var notBefore = Time(data[0].GetAttribute("NotBefore"));
            if (notBefore is not null && notBefore.Value - skew > now) continue;
            var irt = data[0].GetAttribute("InResponseTo");
            if (irt.Length == 0) continue;
            inResponseTo = irt;
            confirmationExpires = notOnOrAfter;
            break;
        }
        if (inResponseTo is null || confirmationExpires is null) return null;
        var responseIrt = response.GetAttribute("InResponseTo");
        if (responseIrt != inResponseTo) return null;

        var conditions = Children(assertion, Assertion, "Conditions");
        if (conditions.Count != 1) return null;
        var conditionsNotBefore = Time(conditions[0].GetAttribute("NotBefore"));
        var conditionsNotOnOrAfter = Time(conditions[0].GetAttribute("NotOnOrAfter"));
        if (conditions[0].HasAttribute("NotBefore") && conditionsNotBefore is null) return null;
        if (conditions[0].HasAttribute("NotOnOrAfter") && conditionsNotOnOrAfter is null) return null;
        if (conditionsNotBefore is not null && conditionsNotBefore.Value - skew > now) return null;
        if (conditionsNotOnOrAfter is not null && conditionsNotOnOrAfter.Value + skew <= now) return null;
        var restrictions = Children(conditions[0], Assertion, "AudienceRestriction");
        if (restrictions.Count == 0) return null;
        var entityId = EntityId(organizationUid);
        // Every AudienceRestriction must name us (they are ANDed).
        foreach (var restriction in restrictions)
            if (!Children(restriction, Assertion, "Audience").Any(a => a.InnerText.Trim() == entityId)) return null;

        string? email = null;
        foreach (var attribute in assertion.GetElementsByTagName("Attribute", Assertion).Cast<XmlElement>())
        {
            var name = attribute.GetAttribute("Name");
            if (name is "email" or "mail" or "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress")
            {
                var value = Children(attribute, Assertion, "AttributeValue").FirstOrDefault()?.InnerText.Trim();
                if (Emails.IsValid(value)) email = value;
            }
        }

        var expires = conditionsNotOnOrAfter is { } c && c < confirmationExpires.Value ? c : confirmationExpires.Value;
        return new Checked(assertionId, nameId, email, inResponseTo, expires);
    }

    /// <summary>
    /// One signature: exactly one Reference, to <c>#id</c> of <paramref name="signed"/>; enveloped + exc-c14n only;
    /// RSA-SHA256 or stronger; verified with a configured certificate (KeyInfo is ignored).
    /// </summary>
    private static bool Verify(XmlDocument document, XmlElement signatureElement, XmlElement signed, string id, IReadOnlyList<X509Certificate2> certificates)
    {
        // KeyInfo is never used, but a RetrievalMethod, an Object or any URI inside the signature other than the one
        // Reference is a request to fetch or process something: refuse the message outright (S27).
        if (signatureElement.SelectNodes(".//*[local-name()='RetrievalMethod' or local-name()='Object' or local-name()='XPath' or local-name()='XSLT']")!.Count > 0)
            return false;
        if (signatureElement.SelectNodes(".//@URI")!.Count != 1) return false;
        var signedXml = new StrictSignedXml(document, signed, id);
        signedXml.LoadXml(signatureElement);
        var info = signedXml.SignedInfo;
        if (info is null || info.References.Count != 1) return false;
        if (!SignatureMethods.Contains(info.SignatureMethod ?? "")) return false;
        if (info.CanonicalizationMethod != SignedXml.XmlDsigExcC14NTransformUrl) return false;
        var reference = (Reference)info.References[0]!;
        if (reference.Uri != "#" + id) return false;
        if (!DigestMethods.Contains(reference.DigestMethod ?? "")) return false;
        var transforms = reference.TransformChain;
        if (transforms.Count is 0 or > 2) return false;
        for (var i = 0; i < transforms.Count; i++)
            if (!Transforms.Contains(transforms[i].Algorithm ?? "")) return false;
        foreach (var certificate in certificates)
        {
            using var key = certificate.GetRSAPublicKey();
            if (key is not null && signedXml.CheckSignature(key)) return true;
        }
        return false;
    }

    /// <summary>Resolves a Reference only to the one element it is expected to sign.</summary>
    private sealed class StrictSignedXml(XmlDocument document, XmlElement expected, string expectedId) : SignedXml(document)
    {
        public override XmlElement? GetIdElement(XmlDocument? doc, string id) => id == expectedId ? expected : null;
    }

    private static List<XmlElement> Children(XmlElement parent, string ns, string localName) =>
        parent.ChildNodes.OfType<XmlElement>().Where(e => e.LocalName == localName && e.NamespaceURI == ns).ToList();

    private static DateTimeOffset? Time(string value) =>
        value.Length > 0 && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t : null;

    public static List<X509Certificate2> ParseCertificates(string? stored)
    {
        var list = new List<X509Certificate2>();
        if (string.IsNullOrWhiteSpace(stored)) return list;
        foreach (var line in stored.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            list.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String(line)));
        return list;
    }

    private static string Escape(string value) => System.Security.SecurityElement.Escape(value);
}
