// Stack share and unshare: POST /stacks/share {emails, roles} (no wrapper) gives an org member stack roles;
// POST /stacks/unshare {email} takes them away. The member reaches the stack only in between.
// Env: ORGSTACK_MEMBER_EMAIL, ORGSTACK_MEMBER_PASSWORD: an accepted Member of the organization;
//      ORGSTACK_OUTSIDER_EMAIL: an address that is not in the organization.
import { assert, env, rejects, run, signIn } from './_lib.mjs';

run('share', async (step) => {
  const orgUid = env('ORGSTACK_ORG_UID');
  const memberEmail = env('ORGSTACK_MEMBER_EMAIL');
  const { client } = await signIn();
  const member = await signIn(memberEmail, env('ORGSTACK_MEMBER_PASSWORD'));

  step('create a stack and find its Developer role');
  const created = await client.stack({ organization_uid: orgUid }).create({ stack: { name: 'Compat Share', master_locale: 'en-us' } });
  const stack = client.stack({ api_key: created.api_key });
  const developer = (await stack.role().fetchAll()).items.find((r) => r.name === 'Developer');
  assert.ok(developer, 'Developer role missing');

  step('before sharing the Member cannot reach the stack');
  await rejects(member.client.stack({ api_key: created.api_key }).fetch(), [401, 403, 404, 412, 422], 'member fetch before share');

  step('share with the Member as Developer');
  const shared = await stack.share([memberEmail], { [memberEmail]: [developer.uid] });
  assert.equal(typeof shared.notice, 'string');

  step('the Member reaches the stack');
  const seen = await member.client.stack({ api_key: created.api_key }).fetch();
  assert.equal(seen.api_key, created.api_key);

  step('stack users show the Member with the Developer role');
  const users = await stack.users();
  const entry = users.find((u) => u.email === memberEmail);
  assert.ok(entry, 'the Member is not among the stack users');
  assert.ok(JSON.stringify(entry.roles ?? []).includes(developer.uid), 'the Member does not hold the Developer role');

  step('unShare the Member');
  const unshared = await stack.unShare(memberEmail);
  assert.equal(typeof unshared.notice, 'string');
  assert.ok(!(await stack.users()).some((u) => u.email === memberEmail), 'the Member is still a stack user');
  await rejects(member.client.stack({ api_key: created.api_key }).fetch(), [401, 403, 404, 412, 422], 'member fetch after unshare');

  step('sharing with someone outside the organization is refused');
  await rejects(stack.share([env('ORGSTACK_OUTSIDER_EMAIL')], { [env('ORGSTACK_OUTSIDER_EMAIL')]: [developer.uid] }), [400, 403, 404, 422], 'share with an outsider');

  step('sharing with an invalid address is refused');
  await rejects(stack.share(['not-an-email'], { 'not-an-email': [developer.uid] }), [400, 422], 'share with an invalid email');

  return { api_key: created.api_key };
});
