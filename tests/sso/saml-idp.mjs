// A local SAML IdP for the SSO tests (samlify 2.13.1 for real sign-ins; xml-crypto for hand-built responses in the
// negative suite), on 127.0.0.1 with a dynamic port. Keys come from KEYS_DIR (made by openssl at test time).
// Prints {"port": N} once listening.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import samlify from 'samlify';
import validator from '@authenio/samlify-node-xmllint';
import { SignedXml } from 'xml-crypto';

samlify.setSchemaValidator(validator);
const KEYS = process.env.KEYS_DIR || 'keys';
const idpKey = fs.readFileSync(path.join(KEYS, 'idp-key.pem'));
const idpCert = fs.readFileSync(path.join(KEYS, 'idp-cert.pem'));
const otherKey = fs.readFileSync(path.join(KEYS, 'other-key.pem'));
const { binding } = samlify.Constants.namespace;
let BASE;
let idp;
let sp;

function buildSp(entityID, acs) {
  sp = samlify.ServiceProvider({ entityID, wantAssertionsSigned: true,
    assertionConsumerService: [{ Binding: binding.post, Location: acs }] });
  sp.acs = acs;
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const iso = (d) => new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');

// A response built by hand, every field overridable, signed as asked.
function handBuilt(o) {
  const now = Date.now();
  const issuer = o.issuer ?? `${BASE}/metadata`;
  const assertionIssuer = o.assertionIssuer ?? issuer;
  const responseId = o.responseId ?? `_r${crypto.randomBytes(16).toString('hex')}`;
  const assertionId = o.assertionId ?? `_a${crypto.randomBytes(16).toString('hex')}`;
  const irt = o.inResponseTo == null ? '' : ` InResponseTo="${esc(o.inResponseTo)}"`;
  const scdIrt = (o.scdInResponseTo ?? o.inResponseTo) == null ? '' : ` InResponseTo="${esc(o.scdInResponseTo ?? o.inResponseTo)}"`;
  const destination = o.destination === null ? '' : ` Destination="${esc(o.destination ?? sp.acs)}"`;
  const notBefore = o.notBefore ?? iso(now - 60_000);
  const notOnOrAfter = o.notOnOrAfter ?? iso(now + 5 * 60_000);
  const scdNotOnOrAfter = o.scdNotOnOrAfter ?? notOnOrAfter;
  const status = o.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success';
  const nameId = o.nameIdXml ?? esc(o.nameId ?? 'alice@example.test');
  const xml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${responseId}" Version="2.0" IssueInstant="${iso(now)}"${destination}${irt}>`
    + `<saml:Issuer>${esc(issuer)}</saml:Issuer>`
    + `<samlp:Status><samlp:StatusCode Value="${esc(status)}"/></samlp:Status>`
    + `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${assertionId}" Version="2.0" IssueInstant="${iso(now)}">`
    + `<saml:Issuer>${esc(assertionIssuer)}</saml:Issuer>`
    + `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${nameId}</saml:NameID>`
    + `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${scdNotOnOrAfter}" Recipient="${esc(o.recipient ?? sp.acs)}"${scdIrt}/></saml:SubjectConfirmation></saml:Subject>`
    + `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${esc(o.audience ?? sp.entityMeta.getEntityID())}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
    + `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${assertionId}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`
    + `</saml:Assertion></samlp:Response>`;
  const sha1 = o.alg === 'sha1';
  const key = o.key === 'other' ? otherKey : idpKey;
  const sign = (doc, target) => {
    const sig = new SignedXml({ privateKey: key,
      signatureAlgorithm: sha1 ? 'http://www.w3.org/2000/09/xmldsig#rsa-sha1' : 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#' });
    sig.addReference({ xpath: `//*[local-name(.)='${target}']`,
      digestAlgorithm: sha1 ? 'http://www.w3.org/2000/09/xmldsig#sha1' : 'http://www.w3.org/2001/04/xmlenc#sha256',
      transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'] });
    sig.computeSignature(doc, { prefix: 'ds',
      location: { reference: `//*[local-name(.)='${target}']/*[local-name(.)='Issuer']`, action: 'after' } });
    return sig.getSignedXml();
  };
  let out = xml;
  const mode = o.sign ?? 'assertion';
  if (mode === 'assertion' || mode === 'both') out = sign(out, 'Assertion');
  if (mode === 'response' || mode === 'both') out = sign(out, 'Response');
  return { xml: out, assertionId, responseId };
}

async function readJson(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body ? JSON.parse(body) : {};
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, BASE);
  try {
    if (url.pathname === '/metadata') {
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
      return res.end(idp.getMetadata());
    }
    if (url.pathname === '/_test/redirect') {               // SSRF tests: a redirect to wherever the test says
      res.writeHead(302, { location: url.searchParams.get('to') || '/metadata' });
      return res.end();
    }
    if (url.pathname === '/_test/big-metadata') {           // SSRF tests: more than the SP reads (600 KB)
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
      return res.end(`${idp.getMetadata()}<!-- ${'x'.repeat(600 * 1024)} -->`);
    }
    if (url.pathname === '/_test/slow-metadata') {          // SSRF tests: an answer that never ends
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
      res.write('<?xml version="1.0"?>');
      return;
    }
    if (url.pathname === '/_test/sp') {
      const o = await readJson(req);
      buildSp(o.entityId, o.acs);
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{}');
    }
    if (url.pathname === '/_test/response') {
      const o = await readJson(req);
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(handBuilt(o)));
    }
    if (url.pathname === '/sso') {                          // HTTP-Redirect AuthnRequest -> auto-POST form
      const query = Object.fromEntries(url.searchParams);
      const info = await idp.parseLoginRequest(sp, 'redirect', { query, octetString: url.search.slice(1) });
      const { context } = await idp.createLoginResponse(sp, info, 'post', { email: url.searchParams.get('user') || 'alice@example.test' });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(`<form method="post" action="${esc(sp.acs)}"><input type="hidden" name="SAMLResponse" value="${context}"/>`
        + `<input type="hidden" name="RelayState" value="${esc(query.RelayState || '')}"/></form>`
        + '<script>document.forms[0].submit()</script>');
    }
    res.writeHead(404); res.end();
  } catch (e) { res.writeHead(400); res.end(String(e.message ?? e)); }
});

server.listen(0, '127.0.0.1', () => {
  BASE = `http://127.0.0.1:${server.address().port}`;
  idp = samlify.IdentityProvider({
    entityID: `${BASE}/metadata`,
    privateKey: idpKey, signingCert: idpCert,
    requestSignatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    wantAuthnRequestsSigned: false,
    nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'],
    singleSignOnService: [{ Binding: binding.redirect, Location: `${BASE}/sso` }],
  });
  buildSp('http://orgstack.test/unused', 'http://orgstack.test/unused');
  console.log(JSON.stringify({ port: server.address().port }));
});
