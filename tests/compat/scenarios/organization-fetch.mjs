// GET /organizations/{uid}: {"organization":{...}} (the SDK reads data.organization); include_plan=true adds
// plan.features[] with uid/limit (read by csdx config:set:rate-limit). Another organization answers as not found.
// Env: ORGSTACK_OTHER_ORG_UID: an organization the Owner does not belong to.
import { assert, env, isIsoTime, rejects, run, signIn } from './_lib.mjs';

run('organization-fetch', async (step) => {
  const orgUid = env('ORGSTACK_ORG_UID');
  const { client } = await signIn();

  step('fetch()');
  const org = await client.organization(orgUid).fetch();
  assert.equal(org.uid, orgUid);
  assert.equal(typeof org.name, 'string');
  assert.equal(org.enabled, true);
  assert.ok(isIsoTime(org.created_at), 'created_at');
  assert.equal(typeof org.stacks, 'function', 'the fetched object is an Organization with methods');
  assert.equal(org.plan, undefined, 'no plan without include_plan');

  step('fetch({ include_plan: true })');
  const withPlan = await client.organization(orgUid).fetch({ include_plan: true });
  assert.equal(withPlan.uid, orgUid);
  assert.ok(withPlan.plan, 'plan missing');
  assert.equal(typeof withPlan.plan.plan_id, 'string');
  assert.ok(Array.isArray(withPlan.plan.features), 'plan.features must be an array');
  const features = Object.fromEntries(withPlan.plan.features.map((f) => [f.uid, f]));
  for (const uid of ['limit', 'getLimit', 'bulkLimit']) {
    assert.ok(features[uid], `plan feature ${uid} missing (csdx config:set:rate-limit reads it)`);
    assert.equal(typeof features[uid].limit, 'number');
  }

  step('another organization answers as not found');
  await rejects(client.organization(env('ORGSTACK_OTHER_ORG_UID')).fetch(), [404, 422], 'fetch of a foreign organization');

  step('an unknown uid answers as not found');
  await rejects(client.organization('blt0000000000000000').fetch(), [404, 422], 'fetch of an unknown organization');

  return { plan_id: withPlan.plan.plan_id, features: Object.keys(features) };
});
