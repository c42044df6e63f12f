using System.Text;
using System.Xml;
using Microsoft.EntityFrameworkCore;
using Orgstack.Core.Members;
using Orgstack.Tests.Support;
using static Orgstack.Tests.Support.SsoScenario;

namespace Orgstack.Tests.Sso;

/// <summary>
/// The SAML negative suite (security-tests.md (a), S-numbers). Responses come from the local IdP's signer
/// (xml-crypto) with overridden fields, and structural attacks edit the signed XML afterwards. Each case must end on
/// the generic failure page with no session, no link and the invitation still pending.
/// </summary>
public sealed class SamlAttackTests(SsoIdpFixture idps) : IClassFixture<SsoIdpFixture>, IDisposable
{
    private const string SamlNs = "urn:oasis:names:tc:SAML:2.0:assertion";
    private const string ProtocolNs = "urn:oasis:names:tc:SAML:2.0:protocol";
    private readonly SsoAppFactory app = new();
    private Attempt? current;

    public void Dispose() => app.Dispose();

    private sealed record Attempt(string OrgUid, string Email, string Victim, SsoBrowser Browser, string RequestId);

    /// <summary>An org with the local IdP, an invited person and a second invited "victim", and a started sign-in.</summary>
    private async Task<Attempt> StartAsync()
    {
        var (org, owner) = await app.SamlOrganizationAsync(idps);
        var email = await app.InvitePersonAsync(org.Uid, owner, "attacker");
        var victim = await app.InvitePersonAsync(org.Uid, owner, "victim");
        var browser = new SsoBrowser(app);
        var requestId = SsoBrowser.RequestIdOf(await browser.StartAsync(org.Uid, "saml"));
        return new Attempt(org.Uid, email, victim, browser, requestId);
    }

    private async Task AssertRefusedAsync(Attempt attempt, HttpResponseMessage response)
    {
        SsoRefused(response);
        Assert.Equal(0, await app.SsoSessionCountAsync());
        Assert.False(await app.SsoLinkedAsync(attempt.OrgUid, attempt.Email));
        Assert.False(await app.SsoLinkedAsync(attempt.OrgUid, attempt.Victim));
        Assert.Equal(MembershipStatus.Pending, (await app.MembershipAsync(attempt.OrgUid, attempt.Victim))!.Status);
        Assert.True(await app.AuditedAsync(attempt.OrgUid, "sign_in_refused"));
    }

    /// <summary>Builds a response with the given overrides (on top of a valid one for this request) and posts it.</summary>
    private async Task RefusedAsync(Func<Attempt, object> options, Func<string, string>? edit = null)
    {
        var attempt = current = await StartAsync();
        using (attempt.Browser)
        {
            var xml = await idps.SamlResponseXmlAsync(options(attempt));
            if (edit is not null) xml = edit(xml);
            await AssertRefusedAsync(attempt, await attempt.Browser.PostAcsXmlAsync(attempt.OrgUid, xml));
        }
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ");

    private static XmlDocument Parse(string xml)
    {
        var doc = new XmlDocument { PreserveWhitespace = true };
        doc.LoadXml(xml);
        return doc;
    }

    private static XmlElement Assertion(XmlDocument doc) => (XmlElement)doc.GetElementsByTagName("Assertion", SamlNs)[0]!;

    private static void SetNameId(XmlElement assertion, string value) =>
        ((XmlElement)assertion.GetElementsByTagName("NameID", SamlNs)[0]!).InnerText = value;

    /// <summary>A copy of the signed assertion with the victim's NameID, a new ID and no signature.</summary>
    private static XmlElement Forged(XmlElement signed, string victim, string? id = null)
    {
        var forged = (XmlElement)signed.CloneNode(true);
        forged.SetAttribute("ID", id ?? "_forged" + Guid.NewGuid().ToString("n"));
        foreach (var sig in forged.GetElementsByTagName("Signature", "http://www.w3.org/2000/09/xmldsig#").Cast<XmlNode>().ToList()) sig.ParentNode!.RemoveChild(sig);
        SetNameId(forged, victim);
        return forged;
    }

    // S1
    [Fact] public Task S1_UnsignedResponseAndAssertion_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Victim, sign = "none" });

    [Fact]
    public async Task S1_NoCertificateConfigured_FailsClosed()
    {
        var attempt = await StartAsync();
        await app.WithDbAsync(db => db.SsoConfigurations.Where(c => c.OrganizationUid == attempt.OrgUid)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.SamlIdpCertificates, (string?)null)));
        using (attempt.Browser)
        {
            var xml = await idps.SamlResponseXmlAsync(new { inResponseTo = attempt.RequestId, nameId = attempt.Email });
            await AssertRefusedAsync(attempt, await attempt.Browser.PostAcsXmlAsync(attempt.OrgUid, xml));
        }
    }

    // S2
    [Fact]
    public Task S2_NameIdEditedAfterSigning_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email },
        xml => xml.Replace(current!.Email, current.Victim, StringComparison.Ordinal));

    // S3
    [Fact]
    public Task S3_AssertionEditedInsideSignedResponse_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email, sign = "response" },
        xml => xml.Replace(current!.Email, current.Victim, StringComparison.Ordinal));

    // S4
    [Fact]
    public async Task S4_VictimsSignedAssertionInAttackersResponse_IsRejected()
    {
        var attempt = await StartAsync();
        using var victimBrowser = new SsoBrowser(app);
        var victimRequest = SsoBrowser.RequestIdOf(await victimBrowser.StartAsync(attempt.OrgUid, "saml"));
        var victimXml = await idps.SamlResponseXmlAsync(new { inResponseTo = victimRequest, nameId = attempt.Victim });
        // The attacker rewrites the unsigned Response's InResponseTo to their own request.
        var doc = Parse(victimXml);
        doc.DocumentElement!.SetAttribute("InResponseTo", attempt.RequestId);
        using (attempt.Browser) await AssertRefusedAsync(attempt, await attempt.Browser.PostAcsXmlAsync(attempt.OrgUid, doc.OuterXml));
    }

    // S5-S12 signature wrapping
    [Fact]
    public Task S5_Xsw_ForgedAssertionBeforeSignedOne_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email }, xml =>
    {
        var doc = Parse(xml);
        var signed = Assertion(doc);
        doc.DocumentElement!.InsertBefore(Forged(signed, VictimOf(xml)), signed);
        return doc.OuterXml;
    });

    [Fact]
    public Task S6_Xsw_ForgedAssertionAfterSignedOne_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email }, xml =>
    {
        var doc = Parse(xml);
        var signed = Assertion(doc);
        doc.DocumentElement!.InsertAfter(Forged(signed, VictimOf(xml)), signed);
        return doc.OuterXml;
    });

    [Fact]
    public Task S7_Xsw_SignedAssertionMovedIntoExtensions_ForgedInItsPlace_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email }, xml =>
    {
        var doc = Parse(xml);
        var signed = Assertion(doc);
        var forged = Forged(signed, VictimOf(xml));
        var extensions = doc.CreateElement("samlp", "Extensions", ProtocolNs);
        doc.DocumentElement!.ReplaceChild(forged, signed);
        extensions.AppendChild(signed);
        doc.DocumentElement.InsertBefore(extensions, doc.DocumentElement.GetElementsByTagName("Status", ProtocolNs)[0]);
        return doc.OuterXml;
    });

    [Fact]
    public Task S8_Xsw_SignedAssertionInsideForgedAssertionsSignatureObject_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email }, xml =>
    {
        var doc = Parse(xml);
        var signed = Assertion(doc);
        var forged = Forged(signed, VictimOf(xml), signed.GetAttribute("ID"));
        var signature = (XmlElement)signed.GetElementsByTagName("Signature", "http://www.w3.org/2000/09/xmldsig#")[0]!.CloneNode(true);
        var obj = doc.CreateElement("ds", "Object", "http://www.w3.org/2000/09/xmldsig#");
        signature.AppendChild(obj);
        doc.DocumentElement!.ReplaceChild(forged, signed);
        obj.AppendChild(signed);
        forged.InsertAfter(signature, forged.GetElementsByTagName("Issuer", SamlNs)[0]);
        return doc.OuterXml;
    });

    [Fact]
    public Task S9_Xsw_ForgedAssertionReusingSignedId_OriginalReIded_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email }, xml =>
    {
        var doc = Parse(xml);
        var signed = Assertion(doc);
        var id = signed.GetAttribute("ID");
        var forged = Forged(signed, VictimOf(xml), id);
        var signature = signed.GetElementsByTagName("Signature", "http://www.w3.org/2000/09/xmldsig#")[0]!;
        forged.InsertAfter(signature.CloneNode(true), forged.GetElementsByTagName("Issuer", SamlNs)[0]);
        signed.SetAttribute("ID", "_original");
        doc.DocumentElement!.ReplaceChild(forged, signed);
        return doc.OuterXml;
    });

    [Fact]
    public Task S10_Xsw_SignedResponseWrappedInForgedResponse_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email, sign = "response" }, xml =>
    {
        var doc = Parse(xml);
        var original = doc.DocumentElement!;
        var evil = (XmlElement)original.CloneNode(true);
        evil.SetAttribute("ID", "_evil");
        foreach (var sig in evil.ChildNodes.OfType<XmlElement>().Where(e => e.LocalName == "Signature").ToList()) evil.RemoveChild(sig);
        SetNameId((XmlElement)evil.GetElementsByTagName("Assertion", SamlNs)[0]!, VictimOf(xml));
        var extensions = doc.CreateElement("samlp", "Extensions", ProtocolNs);
        extensions.AppendChild(original.CloneNode(true));
        evil.InsertBefore(extensions, evil.GetElementsByTagName("Status", ProtocolNs)[0]);
        doc.ReplaceChild(evil, original);
        return doc.OuterXml;
    });

    [Fact]
    public Task S11_Xsw_TwoReferencesInSignedInfo_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email }, xml =>
    {
        var doc = Parse(xml);
        var reference = doc.GetElementsByTagName("Reference", "http://www.w3.org/2000/09/xmldsig#")[0]!;
        reference.ParentNode!.AppendChild(reference.CloneNode(true));
        return doc.OuterXml;
    });

    [Fact]
    public Task S12_Xsw_ResponseSignatureReferencingAssertionOnly_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email }, xml =>
    {
        // Move the assertion's signature up to the Response: it still verifies over the assertion, but sits where a
        // Response signature would be and references a different element.
        var doc = Parse(xml);
        var signed = Assertion(doc);
        var signature = signed.GetElementsByTagName("Signature", "http://www.w3.org/2000/09/xmldsig#")[0]!;
        signed.RemoveChild(signature);
        doc.DocumentElement!.InsertAfter(signature, doc.DocumentElement.GetElementsByTagName("Issuer", SamlNs)[0]);
        return doc.OuterXml;
    });

    // S13
    [Fact]
    public Task S13_ProcessingInstructionInserted_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email },
        xml => xml.Replace("<saml:Subject>", "<saml:Subject><?evil x?>", StringComparison.Ordinal));

    // S14
    [Fact]
    public async Task S14_CommentInjectedInNameId_IsRejected()
    {
        var attempt = await StartAsync();
        using (attempt.Browser)
        {
            // The attacker owns victim-…@example.test.evil.test; the comment would truncate it to the victim's address.
            var at = attempt.Victim.IndexOf("@example.test", StringComparison.Ordinal);
            var nameIdXml = attempt.Victim[..at] + "@example.test<!---->.evil.test";
            var xml = await idps.SamlResponseXmlAsync(new { inResponseTo = attempt.RequestId, nameIdXml });
            Assert.Contains("<!---->", xml);
            await AssertRefusedAsync(attempt, await attempt.Browser.PostAcsXmlAsync(attempt.OrgUid, xml));
        }
    }

    // S15
    [Fact] public Task S15_SignedByAnotherKey_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email, key = "other" });

    // S16, S17
    [Fact]
    public Task S16_ConditionsExpired_IsRejected() => RefusedAsync(a => new
    {
        inResponseTo = a.RequestId, nameId = a.Email, notBefore = Iso(DateTimeOffset.UtcNow.AddHours(-2)), notOnOrAfter = Iso(DateTimeOffset.UtcNow.AddMinutes(-10)),
        scdNotOnOrAfter = Iso(DateTimeOffset.UtcNow.AddMinutes(5)),
    });

    [Fact]
    public Task S16_SubjectConfirmationExpired_IsRejected() => RefusedAsync(a => new
    {
        inResponseTo = a.RequestId, nameId = a.Email, scdNotOnOrAfter = Iso(DateTimeOffset.UtcNow.AddMinutes(-10)),
    });

    [Fact]
    public Task S17_NotYetValid_IsRejected() => RefusedAsync(a => new
    {
        inResponseTo = a.RequestId, nameId = a.Email, notBefore = Iso(DateTimeOffset.UtcNow.AddMinutes(30)), notOnOrAfter = Iso(DateTimeOffset.UtcNow.AddMinutes(60)),
    });

    // S18-S20
    [Fact] public Task S18_WrongAudience_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email, audience = "http://other-sp.test/metadata" });
    [Fact] public Task S19_WrongRecipient_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email, recipient = "http://other-sp.test/acs" });
    [Fact] public Task S20_WrongDestination_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email, destination = "http://other-sp.test/acs" });
    [Fact] public Task S20_MissingDestination_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email, destination = (string?)null });

    // S21
    [Fact]
    public async Task S21_SameResponsePostedTwice_SecondIsRejected()
    {
        var attempt = await StartAsync();
        using (attempt.Browser)
        {
            var xml = await idps.SamlResponseXmlAsync(new { inResponseTo = attempt.RequestId, nameId = attempt.Email });
            SsoSessionToken(await attempt.Browser.PostAcsXmlAsync(attempt.OrgUid, xml));
            SsoRefused(await attempt.Browser.PostAcsXmlAsync(attempt.OrgUid, xml));
        }
        Assert.Equal(1, await app.SsoSessionCountAsync());
    }

    [Fact]
    public async Task S21_AssertionIdReplayedOnSecondNode_IsRejected()
    {
        var attempt = await StartAsync();
        using var nodeB = new SsoAppFactory();
        nodeB.Settings["Orgstack:DataDirectory"] = app.DataDirectory;
        using var browserB = new SsoBrowser(nodeB);
        var requestB = SsoBrowser.RequestIdOf(await browserB.StartAsync(attempt.OrgUid, "saml"));
        var assertionId = "_shared" + Guid.NewGuid().ToString("n");
        using (attempt.Browser)
        {
            var first = await idps.SamlResponseXmlAsync(new { inResponseTo = attempt.RequestId, nameId = attempt.Email, assertionId });
            SsoSessionToken(await attempt.Browser.PostAcsXmlAsync(attempt.OrgUid, first));
        }
        var second = await idps.SamlResponseXmlAsync(new { inResponseTo = requestB, nameId = attempt.Email, assertionId });

        SsoRefused(await browserB.PostAcsXmlAsync(attempt.OrgUid, second));

        Assert.Equal(1, await app.SsoSessionCountAsync());
    }

    // S22, S23
    [Fact] public Task S22_InResponseToUnknownRequest_IsRejected() => RefusedAsync(a => new { inResponseTo = "_not-a-request-of-ours", nameId = a.Email });

    [Fact]
    public async Task S22_InResponseToRequestOfAnotherBrowser_IsRejected()
    {
        var attempt = await StartAsync();
        using var other = new SsoBrowser(app);
        using (attempt.Browser)
        {
            var xml = await idps.SamlResponseXmlAsync(new { inResponseTo = attempt.RequestId, nameId = attempt.Email });
            await AssertRefusedAsync(attempt, await other.PostAcsXmlAsync(attempt.OrgUid, xml));
        }
    }

    [Fact] public Task S23_Unsolicited_IsRejected() => RefusedAsync(a => new { nameId = a.Email });

    // S24
    [Fact] public Task S24_WrongIssuer_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email, issuer = "http://other-idp.test/metadata" });

    [Fact]
    public async Task S24_ResponseForOrganizationAPostedToOrganizationB_IsRejected()
    {
        var attempt = await StartAsync();
        var (orgB, ownerB) = await app.NewOrganizationAsync();
        await app.SsoConfigureAsync(orgB.Uid, ownerB, SamlSettings(idps));
        await app.InvitePersonAsync(orgB.Uid, ownerB);
        using (attempt.Browser)
        {
            var xml = await idps.SamlResponseXmlAsync(new { inResponseTo = attempt.RequestId, nameId = attempt.Email });
            SsoRefused(await attempt.Browser.PostAcsXmlAsync(orgB.Uid, xml));
        }
        Assert.Equal(0, await app.SsoSessionCountAsync());
        Assert.True(await app.AuditedAsync(orgB.Uid, "sign_in_refused"));
        await idps.SamlSpAsync($"http://orgstack.test/sso/{attempt.OrgUid}/saml/metadata", $"http://orgstack.test/sso/{attempt.OrgUid}/saml/acs");
    }

    // S25
    [Fact] public Task S25_RsaSha1Signature_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email, alg = "sha1" });

    // S26
    [Fact]
    public Task S26_ExternalEntityDtd_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email },
        xml => "<?xml version=\"1.0\"?><!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>" + xml.Replace("<saml:AuthnContextClassRef>", "<saml:AuthnContextClassRef>&xxe;", StringComparison.Ordinal));

    [Fact]
    public Task S26_BillionLaughs_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email },
        xml => "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>" + xml);

    [Fact]
    public async Task S26_OversizedResponse_IsRejected()
    {
        var attempt = await StartAsync();
        using (attempt.Browser)
        {
            var xml = await idps.SamlResponseXmlAsync(new { inResponseTo = attempt.RequestId, nameId = attempt.Email });
            var padded = xml.Replace("<saml:Subject>", "<saml:Subject>" + new string(' ', 300_000), StringComparison.Ordinal);
            await AssertRefusedAsync(attempt, await attempt.Browser.PostAcsXmlAsync(attempt.OrgUid, padded));
        }
    }

    // S28, S29
    [Fact]
    public Task S28_StatusNotSuccess_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email, status = "urn:oasis:names:tc:SAML:2.0:status:Requester" });

    [Fact]
    public Task S29_EncryptedAssertionAlongside_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email },
        xml => xml.Replace("</samlp:Response>", "<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\"/></saml:EncryptedAssertion></samlp:Response>", StringComparison.Ordinal));

    // S31: a verified email from the IdP never links someone who is not a member or invitee of this organization.
    [Fact]
    public async Task S31_IdentityOfAccountNotInOrganization_IsNotLinked()
    {
        var attempt = await StartAsync();
        var (otherOrg, otherOwner) = await app.NewOrganizationAsync();
        var outsider = (await app.Member(otherOrg.Uid, MembersScenario.Unique("outsider")).InviteAndAcceptAsync(otherOwner)).Email;
        using (attempt.Browser)
        {
            var xml = await idps.SamlResponseXmlAsync(new { inResponseTo = attempt.RequestId, nameId = outsider });
            await AssertRefusedAsync(attempt, await attempt.Browser.PostAcsXmlAsync(attempt.OrgUid, xml));
        }
        Assert.False(await app.SsoLinkedAsync(attempt.OrgUid, outsider));
        Assert.Null(await app.MembershipAsync(attempt.OrgUid, outsider));
    }

    [Fact]
    public async Task SamlAcs_NotBase64_IsRejected()
    {
        var attempt = await StartAsync();
        using (attempt.Browser) await AssertRefusedAsync(attempt, await attempt.Browser.PostAcsAsync(attempt.OrgUid, "%%%not base64%%%"));
    }

    // S27: dangerous signature features. Each is refused before anything is fetched or transformed.
    private const string DsNs = "http://www.w3.org/2000/09/xmldsig#";

    private static string EditSignature(string xml, Action<XmlDocument, XmlElement> edit)
    {
        var doc = Parse(xml);
        edit(doc, (XmlElement)doc.GetElementsByTagName("Signature", DsNs)[0]!);
        return doc.OuterXml;
    }

    [Fact]
    public Task S27_XPathTransformInReference_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email }, xml =>
        EditSignature(xml, (doc, signature) =>
        {
            var transforms = (XmlElement)signature.GetElementsByTagName("Transforms", DsNs)[0]!;
            var transform = doc.CreateElement("ds", "Transform", DsNs);
            transform.SetAttribute("Algorithm", "http://www.w3.org/TR/1999/REC-xpath-19991116");
            var xpath = doc.CreateElement("ds", "XPath", DsNs);
            xpath.InnerText = "not(ancestor-or-self::*[local-name()='NameID'])";
            transform.AppendChild(xpath);
            transforms.AppendChild(transform);
        }));

    [Fact]
    public Task S27_XsltTransformInReference_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email }, xml =>
        EditSignature(xml, (doc, signature) =>
        {
            var transforms = (XmlElement)signature.GetElementsByTagName("Transforms", DsNs)[0]!;
            var transform = doc.CreateElement("ds", "Transform", DsNs);
            transform.SetAttribute("Algorithm", "http://www.w3.org/TR/1999/REC-xslt-19991116");
            transform.InnerXml = "<xsl:stylesheet xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\" version=\"1.0\"><xsl:template match=\"/\"><xsl:copy-of select=\"document('http://169.254.169.254/')\"/></xsl:template></xsl:stylesheet>";
            transforms.AppendChild(transform);
        }));

    // KeyInfo is outside SignedInfo, so the signature itself still verifies: only the explicit refusal stops this one.
    [Fact]
    public Task S27_RetrievalMethodInKeyInfo_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email }, xml =>
        EditSignature(xml, (doc, signature) =>
        {
            var keyInfo = doc.CreateElement("ds", "KeyInfo", DsNs);
            var retrieval = doc.CreateElement("ds", "RetrievalMethod", DsNs);
            retrieval.SetAttribute("URI", "http://169.254.169.254/latest/meta-data/");
            keyInfo.AppendChild(retrieval);
            signature.AppendChild(keyInfo);
        }));

    [Fact]
    public Task S27_ExternalReferenceUri_IsRejected() => RefusedAsync(a => new { inResponseTo = a.RequestId, nameId = a.Email }, xml =>
        EditSignature(xml, (_, signature) =>
            ((XmlElement)signature.GetElementsByTagName("Reference", DsNs)[0]!).SetAttribute("URI", "http://169.254.169.254/latest/meta-data/")));

    // S30: the ACS never redirects where RelayState says; success always lands on the console.
    [Fact]
    public async Task S30_RelayStateWithExternalUrl_IsNeverFollowed()
    {
        var attempt = await StartAsync();
        using (attempt.Browser)
        {
            var xml = await idps.SamlResponseXmlAsync(new { inResponseTo = attempt.RequestId, nameId = attempt.Email });
            using var response = await attempt.Browser.App.PostAsync($"/sso/{attempt.OrgUid}/saml/acs", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["SAMLResponse"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(xml)),
                ["RelayState"] = "https://evil.example/phish",
            }));
            SsoSessionToken(response);
            Assert.Equal("/", response.Headers.Location!.OriginalString);
        }
    }

    /// <summary>The forged NameID: the other invited person of the attempt in progress.</summary>
    private string VictimOf(string xml)
    {
        Assert.Contains(current!.Email, xml);
        return current.Victim;
    }
}
