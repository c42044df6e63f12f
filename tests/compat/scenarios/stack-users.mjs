// Stack users: the JS SDK's stack.users() calls GET /stacks?include_collaborators=true (with api_key) and reads
// stack.collaborators (a missing stack crashes it); items become User objects. The creator is among them.
// Env: ORGSTACK_MEMBER_EMAIL: an accepted Member of the organization.
import { assert, env, run, signIn } from './_lib.mjs';

run('stack-users', async (step) => {
  const orgUid = env('ORGSTACK_ORG_UID');
  const memberEmail = env('ORGSTACK_MEMBER_EMAIL');
  const { client, login } = await signIn();

  step('create a stack');
  const created = await client.stack({ organization_uid: orgUid }).create({ stack: { name: 'Compat Users', master_locale: 'en-us' } });
  const stack = client.stack({ api_key: created.api_key });

  step('users(): the creator');
  const users = await stack.users();
  assert.ok(Array.isArray(users));
  const owner = users.find((u) => u.uid === login.user.uid);
  assert.ok(owner, 'the creator is not among the stack users');
  assert.equal(owner.email, login.user.email);

  step('users() after sharing with a Member');
  const developer = (await stack.role().fetchAll()).items.find((r) => r.name === 'Developer');
  await stack.share([memberEmail], { [memberEmail]: [developer.uid] });
  const after = await stack.users();
  assert.equal(after.length, users.length + 1);
  const member = after.find((u) => u.email === memberEmail);
  assert.ok(member && member.uid, 'the Member is not among the stack users');

  step('fetch({ include_collaborators: true }) carries the same collaborators');
  const fetched = await stack.fetch({ include_collaborators: true });
  assert.ok(Array.isArray(fetched.collaborators));
  assert.deepEqual(fetched.collaborators.map((c) => c.uid).sort(), after.map((u) => u.uid).sort());

  return { users: after.map((u) => u.email) };
});
