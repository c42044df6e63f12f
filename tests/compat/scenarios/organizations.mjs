// GET /organizations: Collection of the caller's organizations; count only with include_count=true; skip/limit paging
// returns an empty page past the end. Env: ORGSTACK_ORG_UIDS: every organization the Owner belongs to (comma separated).
import { assert, envList, run, signIn } from './_lib.mjs';

run('organizations', async (step) => {
  const expected = envList('ORGSTACK_ORG_UIDS');
  const { client } = await signIn();

  step('fetchAll({ include_count: true })');
  const all = await client.organization().fetchAll({ include_count: true });
  assert.equal(all.count, expected.length, 'count');
  assert.deepEqual(all.items.map((o) => o.uid).sort(), [...expected].sort());
  for (const o of all.items) {
    assert.equal(typeof o.name, 'string');
    assert.equal(o.enabled, true);
    assert.equal(o.owner, true, 'owner: true on organizations the caller owns');
    assert.equal(typeof o.fetch, 'function', 'items are Organization objects');
  }

  step('fetchAll() without include_count has no count');
  const plainList = await client.organization().fetchAll();
  assert.equal(plainList.count, undefined);
  assert.equal(plainList.items.length, expected.length);

  step('paging with skip and limit, as cli-cm-seed does');
  const seen = [];
  for (let skip = 0; ; skip += 1) {
    const page = await client.organization().fetchAll({ limit: 1, skip, asc: 'name', include_count: true });
    assert.equal(page.count, expected.length);
    if (page.items.length === 0) break;
    assert.equal(page.items.length, 1);
    seen.push(page.items[0].uid);
    assert.ok(seen.length <= expected.length, 'paging never ends: skip is ignored');
  }
  assert.deepEqual([...seen].sort(), [...expected].sort());
  assert.equal(new Set(seen).size, seen.length, 'a page repeated an organization');

  step('typeahead filters by name');
  const named = await client.organization().fetchAll({ typeahead: all.items[0].name });
  assert.ok(named.items.some((o) => o.uid === all.items[0].uid));

  return { count: all.count };
});
