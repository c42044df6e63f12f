// A local OpenID Provider for the SSO tests (oidc-provider 9), on 127.0.0.1 with a dynamic port.
// Test-only control: POST /_test/mode {"mode": "..."} sets how the next ID tokens are tampered with;
// POST /_test/rotate replaces the signing key (new kid). Prints {"port": N} once listening.
import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const CLIENT_ID = process.env.OIDC_CLIENT_ID || 'orgstack-test';
const CLIENT_SECRET = process.env.OIDC_CLIENT_SECRET || 'orgstack-test-secret';
let REDIRECT_URIS = (process.env.OIDC_REDIRECT_URIS || 'http://orgstack.test/unused').split(',').filter(Boolean);

let mode = 'none';
let keyNumber = 0;
let signing;          // { privateKey, jwk }
let extraKeys = [];   // public JWKs published beside the signing key (POST /_test/second-key)
let provider;
let issuer;
const stranger = await jose.generateKeyPair('RS256', { extractable: true });
const strangerEc = await jose.generateKeyPair('ES256', { extractable: true });

async function newKey() {
  keyNumber += 1;
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(privateKey)), kid: `k${keyNumber}`, alg: 'RS256', use: 'sig' };
  signing = { privateKey, jwk };
}

function b64(obj) { return Buffer.from(JSON.stringify(obj)).toString('base64url'); }

async function resign(payload, header = { alg: 'RS256', kid: signing.jwk.kid }, key = signing.privateKey) {
  return new jose.SignJWT(payload).setProtectedHeader(header).sign(key);
}

async function tamper(idToken) {
  const payload = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  switch (mode) {
    case 'invalid-iss': return resign({ ...payload, iss: 'http://127.0.0.1:1/not-the-issuer' });
    case 'invalid-aud': return resign({ ...payload, aud: 'another-client' });
    case 'missing-aud': { const { aud, ...rest } = payload; return resign(rest); }
    case 'aud-array-no-azp': { const { azp, ...rest } = payload; return resign({ ...rest, aud: [CLIENT_ID, 'another-client'] }); }
    case 'aud-array-wrong-azp': return resign({ ...payload, aud: [CLIENT_ID, 'another-client'], azp: 'another-client' });
    case 'missing-sub': { const { sub, ...rest } = payload; return resign(rest); }
    case 'missing-iat': { const { iat, ...rest } = payload; return resign(rest); }
    case 'iat-future': return resign({ ...payload, iat: now + 3600, exp: now + 7200 });
    case 'nonce-invalid': return resign({ ...payload, nonce: 'not-the-nonce' });
    case 'missing-nonce': { const { nonce, ...rest } = payload; return resign(rest); }
    case 'expired': return resign({ ...payload, iat: now - 7200, exp: now - 3600 });
    case 'email-unverified': return resign({ ...payload, email_verified: false });
    case 'no-email':
    case 'userinfo-bad-sub':
    case 'userinfo-unverified': { const { email, email_verified, ...rest } = payload; return resign(rest); }
    case 'es256-stranger': return resign(payload, { alg: 'ES256', kid: signing.jwk.kid }, strangerEc.privateKey);
    case 'kid-absent': return resign(payload, { alg: 'RS256' });
    case 'invalid-sig': {
      const [h, p, s] = idToken.split('.');
      const bytes = Buffer.from(s, 'base64url'); bytes[bytes.length - 5] ^= 0x01;
      return `${h}.${p}.${bytes.toString('base64url')}`;
    }
    case 'alg-none': return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
    case 'unknown-kid': return resign(payload, { alg: 'RS256', kid: 'stranger' }, stranger.privateKey);
    case 'stranger-same-kid': return resign(payload, { alg: 'RS256', kid: signing.jwk.kid }, stranger.privateKey);
    case 'hs256-confusion': {
      const { d, p, q, dp, dq, qi, ...pub } = signing.jwk;
      const secret = new TextEncoder().encode(JSON.stringify(pub));
      return new jose.SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: signing.jwk.kid }).sign(secret);
    }
    case 'hs256-client-secret':
      return new jose.SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(CLIENT_SECRET));
    default: return idToken;
  }
}

function build() {
  const p = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID, client_secret: CLIENT_SECRET,
      redirect_uris: REDIRECT_URIS,
      response_types: ['code'], grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [...extraKeys, signing.jwk] },
    pkce: { required: () => true },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'family_name'] },
    findAccount: async (ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, name: sub, email: sub.includes('@') ? sub : `${sub}@example.test`, email_verified: true }),
    }),
    cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
  });
  p.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.body && ctx.body.id_token && mode !== 'none') ctx.body.id_token = await tamper(ctx.body.id_token);
    if (ctx.path === '/.well-known/openid-configuration' && mode === 'discovery-issuer-mismatch' && ctx.body) ctx.body.issuer = 'http://127.0.0.1:1/elsewhere';
    if (ctx.path === '/me' && ctx.body && mode === 'userinfo-bad-sub') ctx.body = { ...ctx.body, sub: 'someone-else' };
    if (ctx.path === '/me' && ctx.body && mode === 'userinfo-unverified') ctx.body = { ...ctx.body, email_verified: false };
  });
  return p;
}

const server = http.createServer(async (req, res) => {
  if (req.url.startsWith('/_test/')) {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (req.url === '/_test/mode') {
      mode = JSON.parse(body || '{}').mode || 'none';
      if (mode === 'none' && extraKeys.length > 0) { extraKeys = []; provider = build(); }
    }
    if (req.url === '/_test/rotate') { extraKeys = []; await newKey(); provider = build(); }
    if (req.url === '/_test/second-key') {
      const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
      extraKeys = [{ ...(await jose.exportJWK(privateKey)), kid: `extra${keyNumber}`, alg: 'RS256', use: 'sig' }];
      provider = build();
    }
    if (req.url === '/_test/redirect') { REDIRECT_URIS = [...new Set([...REDIRECT_URIS, JSON.parse(body).uri])]; provider = build(); }
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ mode, kid: signing.jwk.kid }));
  }
  return provider.callback()(req, res);
});

await newKey();
server.listen(0, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  provider = build();
  console.log(JSON.stringify({ port: server.address().port }));
});
