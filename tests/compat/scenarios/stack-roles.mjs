// Stack roles (/roles with header api_key): a new stack has the built-in roles Admin, Developer and Content Manager;
// custom roles are created, listed (each item with stack.api_key, read by the CLI teams export), fetched, updated (the
// SDK PUTs every own field including stack, users, SYS_ACL) and deleted; built-in roles cannot be deleted.
import { assert, env, rejects, run, signIn } from './_lib.mjs';

run('stack-roles', async (step) => {
  const orgUid = env('ORGSTACK_ORG_UID');
  const { client } = await signIn();

  step('create a stack');
  const created = await client.stack({ organization_uid: orgUid }).create({ stack: { name: 'Compat Roles', master_locale: 'en-us' } });
  const stack = client.stack({ api_key: created.api_key });

  step('fetchAll(): built-in roles');
  const builtIn = await stack.role().fetchAll({ include_count: true });
  const names = builtIn.items.map((r) => r.name);
  for (const n of ['Admin', 'Developer', 'Content Manager']) assert.ok(names.includes(n), `built-in role ${n} missing: ${names}`);
  assert.equal(builtIn.count, builtIn.items.length);
  for (const r of builtIn.items) {
    assert.ok(r.stack && r.stack.api_key === created.api_key, 'list items carry stack.api_key');
    assert.equal(typeof r.fetch, 'function', 'items are Role objects');
  }

  step('create a custom role');
  const rules = [
    { module: 'branch', branches: ['main'], acl: { read: true } },
    { module: 'content_type', content_types: ['$all'], acl: { read: true, sub_acl: { read: true, create: true, update: true, delete: false, publish: false } } },
    { module: 'asset', assets: ['$all'], acl: { read: true, create: true, update: true, delete: false, publish: false } },
  ];
  const role = await stack.role().create({ role: { name: 'Compat Editor', description: 'edits', rules } });
  assert.equal(role.name, 'Compat Editor');
  assert.match(role.uid, /^[A-Za-z0-9_-]+$/);
  assert.equal(typeof role.update, 'function');

  step('fetch the custom role with its rules');
  const fetched = await stack.role(role.uid).fetch({ include_rules: true });
  assert.equal(fetched.name, 'Compat Editor');
  assert.ok(Array.isArray(fetched.rules) && fetched.rules.some((r) => r.module === 'content_type'), 'rules kept');

  step('update: the SDK sends every own field back');
  fetched.name = 'Compat Editor 2';
  fetched.description = 'edits more';
  const updated = await fetched.update();
  assert.equal(updated.name, 'Compat Editor 2');
  assert.equal((await stack.role(role.uid).fetch()).description, 'edits more');

  step('fetchAll() lists the custom role; query by name finds it');
  const all = await stack.role().fetchAll();
  assert.equal(all.items.length, builtIn.items.length + 1);
  const byName = await stack.role().query({ query: { name: 'Compat Editor 2' } }).find();
  assert.deepEqual(byName.items.map((r) => r.uid), [role.uid]);

  step('a role without name is refused');
  await rejects(stack.role().create({ role: { name: '', rules } }), [400, 422], 'create without name');

  step('delete the custom role');
  const deleted = await updated.delete();
  assert.equal(typeof deleted.notice, 'string');
  await rejects(stack.role(role.uid).fetch(), [404, 422], 'fetch after delete');

  step('a built-in role cannot be deleted');
  const admin = builtIn.items.find((r) => r.name === 'Admin');
  await rejects(admin.delete(), [400, 403, 422], 'delete of a built-in role');

  return { api_key: created.api_key, built_in: names };
});
