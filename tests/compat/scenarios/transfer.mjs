// POST /organizations/{uid}/transfer-ownership (hyphen) {transfer_to}: answers {notice}; ownership moves only when the
// nominee accepts, so the caller is still Owner afterwards. Only the Owner may start a transfer.
// Env: ORGSTACK_NOMINEE_EMAIL (an accepted Member), ORGSTACK_ADMIN_EMAIL / ORGSTACK_ADMIN_PASSWORD (an Admin).
import { assert, env, rejects, run, signIn } from './_lib.mjs';

run('transfer', async (step) => {
  const orgUid = env('ORGSTACK_ORG_UID');
  const { client } = await signIn();

  step('an Admin may not transfer ownership');
  const admin = await signIn(env('ORGSTACK_ADMIN_EMAIL'), env('ORGSTACK_ADMIN_PASSWORD'));
  await rejects(admin.client.organization(orgUid).transferOwnership(env('ORGSTACK_NOMINEE_EMAIL')), [403], 'transfer by an Admin');

  step('the Owner names the nominee');
  const answer = await client.organization(orgUid).transferOwnership(env('ORGSTACK_NOMINEE_EMAIL'));
  assert.equal(typeof answer.notice, 'string');

  step('the caller is still the Owner until the nominee accepts');
  const org = await client.organization(orgUid).fetch();
  assert.equal(org.owner, true);
  const me = await client.getUser({ include_orgs_roles: true });
  assert.equal(me.organizations.find((o) => o.uid === orgUid).is_owner, true);

  step('an invalid address is refused');
  await rejects(client.organization(orgUid).transferOwnership('not-an-email'), [400, 422], 'transfer to an invalid address');

  return { notice: answer.notice };
});
