// users.test.mjs: user administration in a real browser: an administrator disables a
// user after a confirmation, and that user's open console is signed out at its next
// request; enabling lets them back in. An administrator adds a user with roles (a weak
// first password is refused) and changes them: the user is signed out and comes back with
// what the new roles allow.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PASSWORD, screenshots, serverAndBrowser, signIn as signInAt } from './harness.mjs';

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

test('an administrator adds a user with roles, then changes them', async () => {
  const admin = await env.chrome.page();
  await signIn(admin, 'root', '/users');
  await admin.getByRole('heading', { name: 'Add a user' }).waitFor();
  // a weak first password is refused at its field, and nobody is added
  await admin.getByLabel('Sign-in name').fill('nina');
  await admin.getByLabel(/^hr:/).check();
  await admin.getByLabel(/^First password/).fill('nina1234');
  await admin.getByRole('button', { name: 'Add the user' }).click();
  await admin.locator('#nu-password-error').waitFor();
  assert.equal(await admin.getByTestId('state-nina').count(), 0);
  await admin.getByLabel(/^First password/).fill(PASSWORD);
  await admin.getByRole('button', { name: 'Add the user' }).click();
  await admin.getByTestId('state-nina').waitFor();
  await screenshots(admin, 'users-add');

  // nina, with hr, sees People and not Doors
  const nina = await env.chrome.page();
  await signIn(nina, 'nina');
  await nina.getByRole('heading', { name: 'Welcome, nina' }).waitFor();
  assert.equal(await nina.getByRole('link', { name: 'People' }).count(), 1);
  assert.equal(await nina.getByRole('link', { name: 'Doors' }).count(), 0);

  // her roles become facilities: her open console is signed out; signed in again she
  // sees Doors and not People
  await admin.getByRole('button', { name: 'Roles of nina' }).click();
  const form = admin.getByRole('form', { name: 'Roles of nina' });
  await form.getByLabel(/^hr:/).uncheck();
  await form.getByLabel(/^facilities:/).check();
  await form.getByRole('button', { name: 'Save the roles' }).click();
  await admin.getByRole('row').filter({ hasText: 'nina' }).getByRole('cell', { name: 'facilities', exact: true }).waitFor();
  await nina.reload();
  await nina.getByRole('heading', { name: 'Sign in to gatehouse' }).waitFor();
  await signIn(nina, 'nina');
  await nina.getByRole('heading', { name: 'Welcome, nina' }).waitFor();
  assert.equal(await nina.getByRole('link', { name: 'Doors' }).count(), 1);
  assert.equal(await nina.getByRole('link', { name: 'People' }).count(), 0);
});
