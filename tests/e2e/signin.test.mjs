// signin.test.mjs: signing in to the console in a real browser: an administrator enrolls
// the authenticator app (QR code, a first code from oathtool, recovery codes), signs out,
// and signs in again with the password and a TOTP code from oathtool; wrong passwords get
// the server's message; a role without admin rights sees only its pages. Screenshots of
// every page in both themes; no Content-Security-Policy violation anywhere.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PASSWORD, screenshots, serverAndBrowser, signIn, totp } from './harness.mjs';

const env = serverAndBrowser();

const signInWithPassword = (page, name, password) => signIn(page, env.server, name, '/', password);

test('an administrator enrolls TOTP, then signs in with a code from oathtool', async () => {
  env.server.addUser('ada', 'admin');
  const page = await env.chrome.page();
  await page.goto(env.server.url + '/');
  await page.getByRole('heading', { name: 'Sign in to gatehouse' }).waitFor();
  await screenshots(page, 'sign-in');

  // a wrong password: the server's own words
  await signInWithPassword(page, 'ada', 'not the password at all');
  await page.getByRole('alert').getByText('the name or the password is not right').waitFor();

  // the right one: the role needs MFA, so enrollment comes first
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Set up two-factor sign-in' }).waitFor();
  await screenshots(page, 'mfa-enroll-password');
  await page.getByLabel('Your password, again').fill(PASSWORD);
  await page.getByRole('button', { name: 'Show the code to scan' }).click();
  await page.getByRole('img', { name: 'QR code of the authenticator key' }).waitFor();
  await page.getByText('Cannot scan? Enter the key by hand').click();
  const uri = await page.getByTestId('otpauth-uri').textContent();
  assert.match(uri, /^otpauth:\/\/totp\/gatehouse:ada\?secret=/);
  await screenshots(page, 'mfa-enroll-qr');
  await page.getByLabel('The 6-digit code the app shows').fill(totp(uri));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('heading', { name: 'Two-factor sign-in is on' }).waitFor();
  assert.equal(await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').count(), 10);
  await screenshots(page, 'mfa-recovery-codes');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Welcome, ada' }).waitFor();
  await screenshots(page, 'overview');
  await page.getByRole('link', { name: 'Doors' }).click();
  await page.getByRole('heading', { name: 'Doors' }).waitFor();
  await page.getByText('No doors yet').waitFor(); /* the empty state */
  assert.equal(new URL(page.url()).pathname, '/doors');
  await screenshots(page, 'doors');

  // sign out; then in again with a code (the next time step: the last one is used up)
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to gatehouse' }).waitFor();
  await signInWithPassword(page, 'ada');
  await page.getByLabel('Authentication code').fill(totp(uri, 30));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('heading', { name: 'Welcome, ada' }).waitFor();
  // the console keeps no credential in storage (the cookie is HttpOnly)
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
  assert.doesNotMatch(stored, /session|csrf|password|token/i);
  assert.deepEqual(page.cspViolations, []);
});

test('a role sees only the pages its permissions allow', async () => {
  env.server.addUser('harriet', 'finance'); /* no door permission, no MFA requirement */
  const page = await env.chrome.page('light');
  await signInWithPassword(page, 'harriet');
  await page.getByRole('heading', { name: 'Welcome, harriet' }).waitFor();
  assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Doors' }).count(), 0);
  // a direct API call from its session is refused by the server
  const status = await page.evaluate(async () => (await fetch('/api/v1/doors')).status);
  assert.equal(status, 403);
  assert.deepEqual(page.cspViolations, []);
});

test('a refused single sign-on is worded by the console, never by the URL', async () => {
  const page = await env.chrome.page();
  await page.goto(env.server.url + '/sign-in?sso_error=account');
  await page.getByRole('alert').getByText('Your account may not sign in here').waitFor();
  await page.goto(env.server.url + '/sign-in?sso_error=Call%20555-0100%20now');
  await page.getByRole('alert').getByText("Gatehouse refused the identity provider's answer").waitFor();
  assert.equal(await page.getByText('555-0100').count(), 0);
});
