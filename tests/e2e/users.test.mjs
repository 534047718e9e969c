// users.test.mjs: user administration in a real browser: an administrator disables a
// user after a confirmation, and that user's open console is signed out at its next
// request; enabling lets them back in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { screenshots, serverAndBrowser, signIn as signInAt } from './harness.mjs';

const env = serverAndBrowser(['--set', 'mfa.required_roles=']);
const signIn = (page, name, path) => signInAt(page, env.server, name, path);


test('disabling a user signs them out at once', async () => {
  env.server.addUser('root', 'admin');
  env.server.addUser('fred', 'facilities');
  const fred = await env.chrome.page();
  await signIn(fred, 'fred');
  await fred.getByRole('heading', { name: 'Welcome, fred' }).waitFor();

  const admin = await env.chrome.page();
  await signIn(admin, 'root', '/users');
  await admin.getByRole('heading', { name: 'Users' }).waitFor();
  assert.equal(await admin.getByRole('button', { name: 'Disable root' }).count(), 0); /* not oneself */
  await admin.getByRole('button', { name: 'Disable fred' }).click();
  await admin.getByRole('alertdialog').getByRole('heading', { name: 'Disable fred?' }).waitFor();
  await screenshots(admin, 'users-confirm');
  await admin.getByRole('alertdialog').getByRole('button', { name: 'Disable' }).click();
  await admin.getByTestId('state-fred').filter({ hasText: 'disabled' }).waitFor();
  await screenshots(admin, 'users');

  // fred's console: the next page load asks to sign in, and the sign-in is refused
  await fred.reload();
  await fred.getByRole('heading', { name: 'Sign in to gatehouse' }).waitFor();
  await signIn(fred, 'fred');
  await fred.getByRole('alert').getByText('the name or the password is not right').waitFor();

  await admin.getByRole('button', { name: 'Enable fred' }).click();
  await admin.getByRole('alertdialog').getByRole('button', { name: 'Enable' }).click();
  await admin.getByTestId('state-fred').filter({ hasText: 'enabled' }).waitFor();
  await signIn(fred, 'fred');
  await fred.getByRole('heading', { name: 'Welcome, fred' }).waitFor();
  assert.deepEqual(admin.cspViolations, []);
});
