// Login: POST /user-session answers 200 with user.authtoken (kept by the SDK for later calls), "Login Successful.",
// the user's organizations, and org_roles with ?include_orgs_roles=true. Bad credentials: 422 with error_code 104.
import { assert, env, newClient, rejects, run, signIn } from './_lib.mjs';

run('login', async (step) => {
  const email = env('ORGSTACK_EMAIL');
  const orgUid = env('ORGSTACK_ORG_UID');

  step('login with email and password');
  const { client, login } = await signIn(email.toUpperCase());
  assert.equal(login.notice, 'Login Successful.');
  const user = login.user;
  assert.equal(user.email, email.toLowerCase());
  assert.match(user.uid, /^[A-Za-z0-9_-]+$/);
  assert.equal(typeof user.update, 'function', 'the SDK wraps user as a User with methods only when authtoken is present');
  assert.ok(Array.isArray(user.organizations), 'user.organizations must be an array');
  const org = user.organizations.find((o) => o.uid === orgUid);
  assert.ok(org, `organization ${orgUid} missing from user.organizations`);
  assert.equal(typeof org.fetch, 'function', 'user.organizations[] become Organization objects');

  step('the SDK keeps the authtoken: getUser works on the same client');
  const me = await client.getUser();
  assert.equal(me.uid, user.uid);

  step('login with include_orgs_roles=true');
  const withRoles = (await signIn(email, env('ORGSTACK_PASSWORD'), { include_orgs_roles: true })).login.user;
  const orgWithRoles = withRoles.organizations.find((o) => o.uid === orgUid);
  assert.ok(orgWithRoles, 'organization missing with include_orgs_roles');
  assert.equal(orgWithRoles.is_owner, true, 'the Owner sees is_owner: true');
  assert.ok(Array.isArray(orgWithRoles.org_roles) && orgWithRoles.org_roles.length > 0, 'org_roles must be a non-empty array of role objects');
  assert.equal(typeof orgWithRoles.org_roles[0], 'object');
  assert.equal(orgWithRoles.org_roles[0].admin, true, 'the Owner holds an admin org role');
  assert.ok(orgWithRoles.org_roles[0].uid, 'org role objects carry a uid');

  step('wrong password: 422, error_code 104');
  const wrong = await rejects(newClient().login({ email, password: 'definitely not the password' }), [422], 'wrong password');
  assert.equal(wrong.errorCode, 104);

  step('unknown email: the same answer');
  const unknown = await rejects(newClient().login({ email: 'nobody-' + Date.now() + '@example.test', password: 'definitely not the password' }), [422], 'unknown email');
  assert.equal(unknown.errorCode, wrong.errorCode);
  assert.equal(unknown.errorMessage, wrong.errorMessage);

  return { user_uid: user.uid, organizations: user.organizations.length };
});
