// POST /stacks in both SDK forms: client.stack({organization_uid}).create() sends the org uid as a header,
// client.stack().create(data, {organization_uid}) as a query parameter (cli-cm-seed). Then fetch (GET /stacks with
// api_key), update (PUT /stacks: the SDK sends every own field; read-only ones are ignored) and the org-filtered query.
// Env: ORGSTACK_ORG_UIDS: two organizations of the Owner (one stack creation per organization).
import { assert, env, envList, isIsoTime, rejects, run, signIn } from './_lib.mjs';

run('stack-create', async (step) => {
  const [orgA, orgB] = envList('ORGSTACK_ORG_UIDS');
  const { client, login } = await signIn();

  step('client.stack({ organization_uid }).create()');
  const created = await client.stack({ organization_uid: orgA }).create({
    stack: { name: 'Compat Website', description: 'made by the SDK', master_locale: 'en-us' },
  });
  assert.equal(created.name, 'Compat Website');
  assert.equal(created.org_uid, orgA);
  assert.equal(created.master_locale, 'en-us');
  assert.match(created.api_key, /^[A-Za-z0-9_-]+$/);
  assert.match(created.uid, /^[A-Za-z0-9_-]+$/);
  assert.equal(created.owner_uid, login.user.uid, 'the creator owns the stack');
  assert.equal(typeof created.fetch, 'function', 'the answer is a Stack with its api_key');

  step('client.stack().create(data, { organization_uid }) (query form)');
  const second = await client.stack().create({ stack: { name: 'Compat App', master_locale: 'en-us' } }, { organization_uid: orgB });
  assert.equal(second.org_uid, orgB);
  assert.notEqual(second.api_key, created.api_key);

  step('fetch by api_key');
  const fetched = await client.stack({ api_key: created.api_key }).fetch();
  for (const f of ['api_key', 'name', 'org_uid', 'master_locale', 'owner_uid']) assert.equal(fetched[f], created[f], f);
  assert.ok(isIsoTime(fetched.created_at) && isIsoTime(fetched.updated_at), 'timestamps');

  step('update: the SDK PUTs every own field');
  fetched.name = 'Compat Website (renamed)';
  fetched.description = 'renamed by the SDK';
  const updated = await fetched.update();
  assert.equal(updated.name, 'Compat Website (renamed)');
  assert.equal(updated.api_key, created.api_key);
  assert.equal((await client.stack({ api_key: created.api_key }).fetch()).description, 'renamed by the SDK');

  step('query stacks of an organization (header organization_uid and query {org_uid})');
  const inA = await client.stack({ organization_uid: orgA }).query({ query: {} }).find();
  assert.deepEqual(inA.items.map((s) => s.api_key), [created.api_key]);
  const all = await client.stack().query({ include_count: true }).find();
  assert.ok(all.items.some((s) => s.api_key === second.api_key));

  step('an unknown api_key is refused');
  await rejects(client.stack({ api_key: 'blt0000000000000000' }).fetch(), [401, 403, 404, 412, 422], 'fetch of an unknown stack');

  step('a stack without name is refused');
  await rejects(client.stack({ organization_uid: orgB }).create({ stack: { name: '' } }), [400, 422], 'create without name');

  return { api_keys: [created.api_key, second.api_key] };
});
