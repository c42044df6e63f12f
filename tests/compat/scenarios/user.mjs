// GET /user: the signed-in user with authtoken (the SDK attaches update/delete only then) and organizations; with
// include_orgs_roles=true each organization carries org_roles objects with admin and is_owner. A Member sees admin: false.
// Env: ORGSTACK_MEMBER_EMAIL, ORGSTACK_MEMBER_PASSWORD: an accepted Member of ORGSTACK_ORG_UID.
import { assert, env, newClient, rejects, run, signIn } from './_lib.mjs';

run('user', async (step) => {
  const orgUid = env('ORGSTACK_ORG_UID');
  const { client, login } = await signIn();

  step('getUser()');
  const user = await client.getUser();
  assert.equal(user.uid, login.user.uid);
  assert.equal(user.email, env('ORGSTACK_EMAIL').toLowerCase());
  assert.ok(user.authtoken, 'GET /user must include authtoken');
  for (const f of ['update', 'delete', 'requestPassword', 'resetPassword', 'getTasks']) assert.equal(typeof user[f], 'function', `User.${f} missing`);
  assert.ok(Array.isArray(user.organizations), 'organizations must always be an array');
  assert.ok(user.organizations.some((o) => o.uid === orgUid));

  step('getUser({ include_orgs_roles: true }) as Owner');
  const withRoles = await client.getUser({ include_orgs_roles: true });
  const org = withRoles.organizations.find((o) => o.uid === orgUid);
  assert.ok(org, 'organization missing');
  assert.equal(org.is_owner, true);
  assert.ok(Array.isArray(org.org_roles) && org.org_roles.length > 0, 'org_roles missing');
  assert.equal(org.org_roles[0].admin, true);
  assert.equal(typeof org.org_roles[0].name, 'string');

  step('an Organization object from the user fetches itself');
  const fetched = await org.fetch();
  assert.equal(fetched.uid, orgUid);

  step('getUser({ include_orgs_roles: true }) as Member');
  const member = await signIn(env('ORGSTACK_MEMBER_EMAIL'), env('ORGSTACK_MEMBER_PASSWORD'));
  const memberUser = await member.client.getUser({ include_orgs_roles: true });
  const memberOrg = memberUser.organizations.find((o) => o.uid === orgUid);
  assert.ok(memberOrg, 'the Member sees the organization');
  assert.notEqual(memberOrg.is_owner, true);
  assert.equal(memberOrg.org_roles[0].admin, false, 'a Member holds a non-admin org role');

  step('no authtoken: 401, error_code 105');
  const anonymous = await rejects(newClient().getUser(), [401], 'getUser without authtoken');
  assert.equal(anonymous.errorCode, 105);

  return { user_uid: user.uid, organizations: withRoles.organizations.length };
});
