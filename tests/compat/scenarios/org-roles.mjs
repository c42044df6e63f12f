// GET /organizations/{uid}/roles: the fixed roles "admin" and "member" (lower case: the CLI's teams export matches
// those names), each with uid, org_uid and admin. A Member may not list them.
// Env: ORGSTACK_MEMBER_EMAIL, ORGSTACK_MEMBER_PASSWORD: an accepted Member of ORGSTACK_ORG_UID.
import { assert, env, rejects, run, signIn } from './_lib.mjs';

run('org-roles', async (step) => {
  const orgUid = env('ORGSTACK_ORG_UID');
  const { client } = await signIn();

  step('roles()');
  const roles = await client.organization(orgUid).roles();
  const byName = Object.fromEntries(roles.items.map((r) => [r.name, r]));
  assert.deepEqual(Object.keys(byName).sort(), ['admin', 'member']);
  assert.equal(byName.admin.admin, true);
  assert.equal(byName.member.admin, false);
  for (const r of roles.items) {
    assert.match(r.uid, /^[A-Za-z0-9_-]+$/);
    assert.equal(r.org_uid, orgUid);
  }
  assert.notEqual(byName.admin.uid, byName.member.uid);

  step('roles({ include_count: true })');
  const counted = await client.organization(orgUid).roles({ include_count: true });
  assert.equal(counted.count, 2);

  step('the login org_roles uid is one of these roles');
  const me = await client.getUser({ include_orgs_roles: true });
  const mine = me.organizations.find((o) => o.uid === orgUid);
  assert.equal(mine.org_roles[0].uid, byName.admin.uid);

  step('a Member may not list the roles');
  const member = await signIn(env('ORGSTACK_MEMBER_EMAIL'), env('ORGSTACK_MEMBER_PASSWORD'));
  await rejects(member.client.organization(orgUid).roles(), [403], 'roles as Member');

  return { roles: roles.items.map((r) => ({ uid: r.uid, name: r.name })) };
});
