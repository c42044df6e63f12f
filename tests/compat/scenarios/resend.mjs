// GET /organizations/{uid}/{share_uid}/resend_invitation (the JS SDK's route, without /share/) through
// org.resendInvitation: answers {notice}. An accepted membership cannot be "resent".
// Env: ORGSTACK_INVITEES (one new address).
import { assert, env, envList, rejects, run, signIn } from './_lib.mjs';

run('resend', async (step) => {
  const orgUid = env('ORGSTACK_ORG_UID');
  const [invitee] = envList('ORGSTACK_INVITEES');
  const { client } = await signIn();
  const org = client.organization(orgUid);
  const roles = Object.fromEntries((await org.roles()).items.map((r) => [r.name, r.uid]));

  step('invite');
  const invited = await org.addUser({ users: { [invitee]: [roles.member] } });
  const share = invited.items.find((s) => s.email === invitee);
  assert.ok(share, 'invitation missing from the answer');

  step('resendInvitation(share uid)');
  const resent = await org.resendInvitation(share.uid);
  assert.equal(typeof resent.notice, 'string');

  step('still one pending invitation');
  const list = await org.getInvitations();
  assert.equal(list.items.filter((s) => s.email === invitee).length, 1);

  step('the Owner\'s accepted membership cannot be resent');
  const ownerShare = list.items.find((s) => s.is_owner === true);
  await rejects(org.resendInvitation(ownerShare.uid), [400, 404, 409, 422], 'resend of an accepted membership');

  step('an unknown share uid');
  await rejects(org.resendInvitation('blt0000000000000000'), [404, 422], 'resend of an unknown share');

  return { share_uid: share.uid };
});
