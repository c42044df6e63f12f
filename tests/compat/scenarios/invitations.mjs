// GET /organizations/{uid}/share through org.getInvitations: members and pending invitations with the fields the CLI
// users CSV reads (email, user_uid, org_roles uids, is_owner, status, invited_by, created_at, updated_at and update_at);
// count only with include_count; skip is honoured and past the end the page is empty (the CLI stops on an empty page).
// Env: ORGSTACK_INVITEES (comma separated new addresses).
import { assert, env, envList, isIsoTime, run, signIn } from './_lib.mjs';

run('invitations', async (step) => {
  const orgUid = env('ORGSTACK_ORG_UID');
  const invitees = envList('ORGSTACK_INVITEES');
  const { client, login } = await signIn();
  const org = client.organization(orgUid);
  const roles = Object.fromEntries((await org.roles()).items.map((r) => [r.name, r.uid]));

  step('invite');
  await org.addUser({ users: Object.fromEntries(invitees.map((e) => [e, [roles.member]])) });

  step('getInvitations({ include_count: true })');
  const all = await org.getInvitations({ include_count: true });
  const total = invitees.length + 1;
  assert.equal(all.count, total, 'count: the Owner plus the invitations');
  assert.equal(all.items.length, total);
  const byEmail = Object.fromEntries(all.items.map((s) => [s.email, s]));
  const owner = byEmail[env('ORGSTACK_EMAIL').toLowerCase()];
  assert.ok(owner, 'the Owner is listed');
  assert.equal(owner.is_owner, true);
  assert.equal(owner.status, 'accepted');
  assert.equal(owner.user_uid, login.user.uid);
  for (const email of invitees) {
    const s = byEmail[email];
    assert.ok(s, `${email} missing`);
    assert.equal(s.status, 'pending');
    assert.ok('user_uid' in s, 'user_uid must be present (null for a new person)');
    assert.equal(s.invited_by, login.user.uid);
    assert.deepEqual(s.org_roles, [roles.member]);
    assert.notEqual(s.is_owner, true);
  }
  for (const s of all.items) {
    assert.equal(s.org_uid, orgUid);
    assert.ok(isIsoTime(s.created_at), 'created_at');
    assert.ok(isIsoTime(s.updated_at), 'updated_at (the CLI prints NaN/NaN/NaN without it)');
    assert.ok(isIsoTime(s.update_at), 'update_at (the documented spelling)');
  }

  step('getInvitations() without include_count has no count');
  assert.equal((await org.getInvitations()).count, undefined);

  step('page through with skip/limit/page as csdx export-to-csv does, until an empty page');
  const seen = [];
  for (let page = 0; page < 20; page += 1) {
    const items = (await org.getInvitations({ skip: page * 2, page: page + 1, limit: 2 })).items;
    if (items.length === 0) break;
    assert.ok(items.length <= 2);
    seen.push(...items.map((s) => s.uid));
  }
  assert.equal(seen.length, total, 'paging returned every share once');
  assert.equal(new Set(seen).size, total, 'paging repeated a share');

  step('sort by email');
  const sorted = (await org.getInvitations({ asc: 'email' })).items.map((s) => s.email);
  assert.deepEqual(sorted, [...sorted].sort());

  step('typeahead');
  const found = await org.getInvitations({ typeahead: invitees[0] });
  assert.ok(found.items.some((s) => s.email === invitees[0]));
  assert.ok(found.items.length < total);

  return { count: all.count };
});
