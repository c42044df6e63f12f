// Two-factor sign-in (issue 3): for an account with TOTP on, POST /user-session without tfa_token answers 401 with
// error_code 294 and tfa_type (the first leg of the SDK/CLI flow), and the SDK's login({email, password, mfaSecret})
// computes the current code from the base32 secret (otplib), signs in and keeps the authtoken for later calls.
//   ORGSTACK_MFA_SECRET   the account's base32 TOTP secret (enrolled and confirmed by the C# test)
import { assert, env, newClient, rejects, run } from './_lib.mjs';

run('login-mfa', async (step) => {
  const email = env('ORGSTACK_EMAIL');
  const password = env('ORGSTACK_PASSWORD');
  const mfaSecret = env('ORGSTACK_MFA_SECRET');

  step('login without the second factor: 401, error_code 294, tfa_type');
  const required = await rejects(newClient().login({ email, password }), [401], 'login without tfa_token');
  assert.equal(required.errorCode, 294);
  assert.equal(required.tfa_type, 'totp_authenticator', 'the SDK error exposes tfa_type');

  step('login with mfaSecret: the SDK sends the current TOTP code as tfa_token');
  const client = newClient();
  const login = await client.login({ email, password, mfaSecret });
  assert.equal(login.notice, 'Login Successful.');
  assert.ok(login.user && login.user.authtoken, 'login answered no user.authtoken');
  assert.equal(login.user.email, email.toLowerCase());
  assert.equal(typeof login.user.update, 'function', 'the SDK wraps user as a User when authtoken is present');

  step('the SDK keeps the authtoken: getUser works on the same client');
  const me = await client.getUser();
  assert.equal(me.uid, login.user.uid);
  assert.equal(me.email, email.toLowerCase());
  assert.equal(me.tfa_status, 'verified');

  return { user_uid: me.uid };
});
