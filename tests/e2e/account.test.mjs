// account.test.mjs: a user's own account in a real browser. Signed in from two browsers,
// the account page lists both sessions and signs the other one out; an API token is made
// with a narrow scope (its secret shown once works within that scope only) and revoked
// after a confirmation; two-factor sign-in is set up by choice with a code from oathtool;
// the password is changed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PASSWORD, screenshots, serverAndBrowser, signIn, totp } from './harness.mjs';

const env = serverAndBrowser(['--set', 'mfa.required_roles=']);

/** A call with a bearer token only (no cookie), from the page's origin: the status. */
const withToken = (page, path, token) =>
  page.evaluate(
    async ([p, t]) => (await fetch(p, { credentials: 'omit', headers: { Authorization: `Bearer ${t}` } })).status,
    [path, token],
  );

test('own sessions, API tokens, two-factor set-up and the password, from the account page', async () => {
  env.server.addUser('ana', 'security_operator');
  const here = await env.chrome.page();
  const there = await env.chrome.page();
  await signIn(there, env.server, 'ana');
  await there.getByRole('heading', { name: 'Welcome, ana' }).waitFor();
  await signIn(here, env.server, 'ana');
  await here.getByRole('link', { name: /ana \(security_operator\)/ }).click();
  await here.getByRole('heading', { name: 'Your account' }).waitFor();

  // two sessions; the other one is signed out from here
  const sessions = here.getByRole('table', { name: '2 sessions' });
  await sessions.waitFor();
  await sessions.getByTestId('this-session').waitFor();
  await screenshots(here, 'account');
  await sessions.getByRole('button', { name: /^Sign out the session from/ }).click();
  await here.getByRole('table', { name: '1 session' }).waitFor();
  await there.reload();
  await there.getByRole('heading', { name: 'Sign in to gatehouse' }).waitFor();

  // a token for events only: shown once, works for events, not for doors; then revoked
  await here.getByLabel('Name (what uses it)').fill('nightly export');
  await here.getByLabel(/^Scope/).fill('events.read');
  await here.getByRole('button', { name: 'Make the token' }).click();
  const secret = (await here.getByTestId('token-secret').textContent()).trim();
  assert.match(secret, /^ghk_/);
  assert.equal(await withToken(here, '/api/v1/events?limit=1', secret), 200);
  assert.equal(await withToken(here, '/api/v1/doors', secret), 403);
  await here.getByRole('button', { name: 'Revoke nightly export' }).click();
  await here.getByRole('alertdialog').getByRole('button', { name: 'Revoke' }).click();
  await here.getByRole('cell', { name: 'revoked' }).waitFor();
  assert.equal(await withToken(here, '/api/v1/events?limit=1', secret), 401);

  // two-factor sign-in, by choice
  await here.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
  await here.getByLabel('Your password, again').fill(PASSWORD);
  await here.getByRole('button', { name: 'Show the code to scan' }).click();
  await here.getByText('Cannot scan? Enter the key by hand').click();
  const uri = await here.getByTestId('otpauth-uri').textContent();
  await here.getByLabel('The 6-digit code the app shows').fill(totp(uri));
  await here.getByRole('button', { name: 'Confirm' }).click();
  await here.getByRole('list', { name: 'Recovery codes' }).waitFor();
  await here.getByRole('button', { name: 'Continue' }).click();
  await here.getByText('On: sign-in asks for a code').waitFor();

  // the password: a weak one is refused with the reason, a good one is taken, and every
  // other session ends (signed in again over there first)
  await signIn(there, env.server, 'ana');
  await there.getByLabel('Authentication code').fill(totp(uri, 30)); /* the next step: this one is used */
  await there.getByRole('button', { name: 'Verify' }).click();
  await there.getByRole('heading', { name: 'Welcome, ana' }).waitFor();
  await here.reload();
  await here.getByRole('table', { name: '2 sessions' }).waitFor();
  await here.getByLabel('Current password').fill(PASSWORD);
  await here.getByLabel(/^New password/).fill('short');
  await here.getByRole('button', { name: 'Change password' }).click();
  await here.locator('#pw-new-error').waitFor();
  await here.getByLabel('Current password').fill(PASSWORD);
  await here.getByLabel(/^New password/).fill('granite lantern orchard seventy');
  await here.getByRole('button', { name: 'Change password' }).click();
  await here.getByText('Password changed.').waitFor();
  /* this session goes on under a new id, the list is read again: only this one is left */
  await here.getByRole('table', { name: '1 session' }).getByTestId('this-session').waitFor();
  await there.reload();
  await there.getByRole('heading', { name: 'Sign in to gatehouse' }).waitFor();
  assert.deepEqual(here.cspViolations, []);
});
