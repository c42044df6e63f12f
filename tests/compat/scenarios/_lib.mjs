// Shared helpers for the compatibility scenarios. Every scenario is a small program that drives a running Orgstack
// server with the official @contentstack/management SDK, asserts with node:assert and prints one JSON summary line.
//
// Environment (set by the C# tests in tests/Orgstack.Tests/Compat, or by hand):
//   ORGSTACK_HOST, ORGSTACK_PORT   the plain-HTTP server (default host 127.0.0.1)
//   ORGSTACK_EMAIL, ORGSTACK_PASSWORD, ORGSTACK_ORG_UID   the Owner of a fresh organization
//   further ORGSTACK_* variables as each scenario documents.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const contentstack = require('@contentstack/management');

export function env(name, fallback) {
  const value = process.env[name];
  if (value === undefined || value === '') {
    if (fallback !== undefined) return fallback;
    throw new Error(`missing environment variable ${name}`);
  }
  return value;
}

export function envList(name) {
  return env(name).split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * A client for the local server, as contentstack-cma.md §8.1 recommends: an IP host with insecure:true, and every
 * retry off (a retry against an IP-literal host trips the SDK's SSRF guard and kills the process; with retries off a
 * 429 or 5xx surfaces as an error we can report).
 */
export function newClient(extra = {}) {
  return contentstack.client({
    host: env('ORGSTACK_HOST', '127.0.0.1'),
    port: Number(env('ORGSTACK_PORT')),
    insecure: true,
    retryOnError: false,
    retryOnNetworkFailure: false,
    retryOnHttpServerError: false,
    timeout: 30000,
    logHandler: () => {},
    ...extra,
  });
}

/** Signs in as the scenario's Owner (or the given account) and returns { client, login }. */
export async function signIn(email = env('ORGSTACK_EMAIL'), password = env('ORGSTACK_PASSWORD'), params) {
  const client = newClient();
  const login = await client.login({ email, password }, params);
  assert.ok(login.user && login.user.authtoken, 'login answered no user.authtoken');
  return { client, login };
}

/** Awaits a promise that must reject with one of the given HTTP statuses; returns the SDK error. */
export async function rejects(promise, statuses, what) {
  let result;
  try {
    result = await promise;
  } catch (e) {
    assert.ok(statuses.includes(e.status), `${what}: expected HTTP ${statuses.join('/')} but got ${e.status}: ${e.message}`);
    assert.ok(typeof e.errorMessage === 'string' && e.errorMessage.length > 0, `${what}: error_message missing: ${e.message}`);
    assert.ok(e.errorCode !== undefined, `${what}: error_code missing: ${e.message}`);
    return e;
  }
  assert.fail(`${what}: expected HTTP ${statuses.join('/')} but the call succeeded: ${safeJson(result)}`);
}

export function isIsoTime(value) {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value);
}

export function plain(value) {
  return JSON.parse(safeJson(value));
}

function safeJson(value) {
  return JSON.stringify(value, (k, v) => (typeof v === 'function' || k === 'stackHeaders' || k === 'urlPath' ? undefined : v));
}

/**
 * Runs one scenario: prints {"scenario", "ok": true, ...summary} on success; on failure prints {"ok": false, error}
 * (with the SDK's status, error_message, error_code and request) and exits 1.
 */
export async function run(name, body) {
  const steps = [];
  const step = (text) => steps.push(text);
  try {
    const summary = (await body(step)) ?? {};
    console.log(JSON.stringify({ scenario: name, ok: true, steps, ...summary }));
  } catch (e) {
    const error = {
      message: e && e.message,
      status: e && e.status,
      error_message: e && e.errorMessage,
      error_code: e && e.errorCode,
      errors: e && e.errors,
      request: e && e.request ? { method: e.request.method, url: e.request.url, data: e.request.data } : undefined,
    };
    console.log(JSON.stringify({ scenario: name, ok: false, steps, failed_after: steps[steps.length - 1] ?? null, error }));
    console.error(e && e.stack ? e.stack : e);
    process.exitCode = 1;
  }
}

export { assert };
