// DELETE /user-session: client.logout() revokes the client's own token and answers
// {"notice":"You've logged out successfully!"}; client.logout(authtoken) revokes the given one. A revoked token: 401/105.
import { assert, env, newClient, rejects, run, signIn } from './_lib.mjs';

run('logout', async (step) => {
  const { client, login } = await signIn();
  const other = await signIn();

  step('logout()');
  const answer = await client.logout();
  assert.equal(answer.notice, "You've logged out successfully!");

  step('the revoked token no longer works');
  const stale = newClient({ authtoken: login.user.authtoken });
  const e = await rejects(stale.getUser(), [401], 'getUser with a revoked token');
  assert.equal(e.errorCode, 105);

  step('the other session still works');
  assert.equal((await other.client.getUser()).email, env('ORGSTACK_EMAIL').toLowerCase());

  step('logout(authtoken) revokes the given token');
  const byToken = await newClient().logout(other.login.user.authtoken);
  assert.equal(byToken.notice, "You've logged out successfully!");
  await rejects(newClient({ authtoken: other.login.user.authtoken }).getUser(), [401], 'getUser after logout(authtoken)');

  step('logging out twice is refused');
  await rejects(newClient().logout(other.login.user.authtoken), [401, 403], 'second logout');

  return {};
});
