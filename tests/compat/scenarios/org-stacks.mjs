// GET /organizations/{uid}/stacks through org.stacks(): Collection of Stack objects (each usable with its api_key),
// count with include_count, skip/limit paging. Env: ORGSTACK_STACK_API_KEYS: the organization's stacks.
import { assert, env, envList, run, signIn } from './_lib.mjs';

run('org-stacks', async (step) => {
  const orgUid = env('ORGSTACK_ORG_UID');
  const expected = envList('ORGSTACK_STACK_API_KEYS');
  const { client, login } = await signIn();
  const org = client.organization(orgUid);

  step('stacks({ include_count: true })');
  const all = await org.stacks({ include_count: true });
  assert.equal(all.count, expected.length);
  assert.deepEqual(all.items.map((s) => s.api_key).sort(), [...expected].sort());
  for (const s of all.items) {
    assert.match(s.uid, /^[A-Za-z0-9_-]+$/);
    assert.equal(typeof s.name, 'string');
    assert.equal(s.owner_uid, login.user.uid);
    assert.equal(typeof s.fetch, 'function', 'items are Stack objects');
    assert.deepEqual(s.stackHeaders, { api_key: s.api_key });
  }

  step('an item fetches itself through its api_key');
  const one = await all.items[0].fetch();
  assert.equal(one.api_key, all.items[0].api_key);

  step('paging');
  const first = await org.stacks({ limit: 1, skip: 0, asc: 'name' });
  const next = await org.stacks({ limit: 1, skip: 1, asc: 'name' });
  const past = await org.stacks({ limit: 1, skip: expected.length });
  assert.equal(first.items.length, 1);
  assert.equal(next.items.length, 1);
  assert.notEqual(first.items[0].api_key, next.items[0].api_key);
  assert.equal(past.items.length, 0);

  return { count: all.count };
});
