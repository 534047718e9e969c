// people.test.mjs: the HR view in a real browser: HR finds a person, opens them, revokes
// one of their cards (as lost, with a reason) after a confirmation, and the next swipe of
// that card, checked from an operator's session, is denied for that reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { screenshots, serverAndBrowser, signIn as signInAt, swipe } from './harness.mjs';

const env = serverAndBrowser(['--set', 'mfa.required_roles=']);
const signIn = (page, name, path) => signInAt(page, env.server, name, path);



test('HR revokes a card and the next swipe is denied with its reason', async () => {
  env.server.gh('sim', '--people', '30', '--seed', '4', '--no-scenarios');
  env.server.addUser('olga', 'security_operator');
  env.server.addUser('hugo', 'hr');

  // an operator finds a card that opens a door today
  const op = await env.chrome.page();
  await signIn(op, 'olga', '/');
  await op.getByRole('heading', { name: 'Welcome, olga' }).waitFor();
  const doors = await op.evaluate(async () => (await (await fetch('/api/v1/doors?limit=1000')).json()).items);
  const creds = await op.evaluate(async () => (await (await fetch('/api/v1/credentials?limit=1000')).json()).items);
  let found = null;
  for (const c of creds.filter((x) => x.status === 'active')) {
    const text = `${c.format}:${c.facility}:${c.number}`;
    for (const d of doors) {
      if ((await swipe(op, d.id, text)).decision === 'granted') {
        found = { c, text, door: d.id };
        break;
      }
    }
    if (found) break;
  }
  assert.ok(found, 'no card opens any door');

  // HR: People -> the person -> revoke that card
  const hr = await env.chrome.page();
  await signIn(hr, 'hugo', '/people');
  await hr.getByRole('heading', { name: 'People' }).waitFor();
  const person = await hr.evaluate(async (id) => (await (await fetch(`/api/v1/people/${id}`)).json()), found.c.person_id);
  await hr.getByRole('searchbox').fill(person.employee_id);
  await screenshots(hr, 'people');
  await hr.getByRole('link', { name: person.employee_id, exact: true }).click();
  await hr.getByRole('heading', { name: new RegExp(`${person.first_name} ${person.last_name}`) }).waitFor();
  await hr.getByRole('button', { name: `Revoke ${found.text}` }).click();
  const dialog = hr.getByRole('alertdialog');
  await dialog.getByLabel('Mark as').selectOption('lost');
  await dialog.getByLabel('Reason', { exact: true }).fill('reported lost at reception');
  await screenshots(hr, 'person-revoke');
  await dialog.getByRole('button', { name: 'Revoke' }).click();
  await hr.getByTestId(`status-${found.c.id}`).filter({ hasText: 'lost' }).waitFor();
  assert.deepEqual(hr.cspViolations, []);

  // the next swipe of that card: denied, and the reason says why
  const d = await swipe(op, found.door, found.text);
  assert.equal(d.decision, 'denied');
  assert.equal(d.reason, 'credential_inactive');
});
