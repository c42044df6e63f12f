// POST /organizations/{uid}/share through org.addUser: several addresses in one request, each with one org role
// (uid from org.roles()) and stack roles on a stack of the organization. Answers {notice, shares:[...]}: one pending
// share per address. An already-member address is a per-address error; the others still go through.
// Env: ORGSTACK_INVITEES (comma separated, new addresses), ORGSTACK_STACK_API_KEY, ORGSTACK_STACK_ROLE_UID (a role of
// that stack), ORGSTACK_MEMBER_EMAIL (already a member).
import { assert, env, envList, run, signIn } from './_lib.mjs';

run('invite', async (step) => {
  const orgUid = env('ORGSTACK_ORG_UID');
  const [first, second, third, fourth] = envList('ORGSTACK_INVITEES');
  const apiKey = env('ORGSTACK_STACK_API_KEY');
  const stackRole = env('ORGSTACK_STACK_ROLE_UID');
  const { client, login } = await signIn();
  const org = client.organization(orgUid);

  step('org roles');
  const roles = Object.fromEntries((await org.roles()).items.map((r) => [r.name, r.uid]));

  step('addUser with three addresses and stack roles');
  const result = await org.addUser({
    users: { [first]: [roles.admin], [second]: [roles.member], [third]: [roles.member] },
    stacks: { [first]: { [apiKey]: [stackRole] }, [third]: { [apiKey]: [stackRole] } },
    message: 'Welcome to the compatibility suite',
  });
  assert.equal(typeof result.notice, 'string');
  const shares = Object.fromEntries(result.items.map((s) => [s.email, s]));
  assert.deepEqual(Object.keys(shares).sort(), [first, second, third].sort());
  for (const email of [first, second, third]) {
    const share = shares[email];
    assert.match(share.uid, /^[A-Za-z0-9_-]+$/);
    assert.equal(share.status, 'pending');
    assert.equal(share.org_uid, orgUid);
    assert.ok(Array.isArray(share.org_roles) && share.org_roles.every((r) => typeof r === 'string'), 'share.org_roles holds uid strings');
    assert.equal(share.invited_by, login.user.uid);
  }
  assert.deepEqual(shares[first].org_roles, [roles.admin]);
  assert.deepEqual(shares[second].org_roles, [roles.member]);

  step('an address that is already a member is refused on its own; the others go through');
  let mixed;
  try {
    mixed = await org.addUser({ users: { [fourth]: [roles.member], [env('ORGSTACK_MEMBER_EMAIL')]: [roles.member] } });
  } catch (e) {
    mixed = { rejected: { status: e.status, error_message: e.errorMessage } };
  }
  if (!mixed.rejected) {
    const emails = mixed.items.map((s) => s.email);
    assert.ok(emails.includes(fourth), 'the new address of a mixed request was not invited');
    assert.ok(!mixed.items.some((s) => s.email === env('ORGSTACK_MEMBER_EMAIL') && s.status === 'pending'), 'an existing member was invited again');
  }
  const list = await org.getInvitations({ limit: 100 });
  assert.ok(list.items.some((s) => s.email === fourth && s.status === 'pending'), 'the new address of a mixed request is not pending');

  step('an invitation without org role is refused');
  let refused = false;
  try {
    await org.addUser({ users: { ['norole-' + fourth]: [] } });
  } catch (e) {
    refused = e.status >= 400 && e.status < 500;
  }
  const after = await org.getInvitations({ limit: 100 });
  assert.ok(refused || !after.items.some((s) => s.email === 'norole-' + fourth), 'an invitation without org role went through');

  return { invited: Object.keys(shares), mixed: mixed.rejected ?? { ok: true } };
});
