// people.test.mjs: the HR view in a real browser: HR finds a person, opens them, revokes
// one of their cards (as lost, with a reason) after a confirmation, and the next swipe of
// that card, checked from an operator's session, is denied for that reason. HR adds a card
// (a bad number refused at its field) and terminates the person: every card is revoked.
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

test('HR adds a card, then terminates the person: every card revoked, the swipe denied', async () => {
  const hr = await env.chrome.page();
  await signIn(hr, 'hugo', '/people');
  await hr.getByRole('searchbox').fill('E00002');
  await hr.getByRole('link', { name: 'E00002', exact: true }).click();
  await hr.getByRole('heading', { name: 'Credentials' }).waitFor();
  // a card that is no card is refused at its field; a good one is added
  await hr.getByLabel('Facility code').fill('7');
  await hr.getByLabel('Card number').fill('99999999');
  await hr.getByRole('button', { name: 'Add the card' }).click();
  await hr.locator('#card-number-error').waitFor();
  await hr.getByLabel('Card number').fill('4242');
  await hr.getByRole('button', { name: 'Add the card' }).click();
  await hr.getByRole('cell', { name: 'h10301:7:4242', exact: true }).waitFor();
  // terminated, after a confirmation that says what follows
  await hr.getByLabel('Status', { exact: true }).selectOption('terminated');
  await hr.getByRole('button', { name: 'Change the status' }).click();
  const dialog = hr.getByRole('alertdialog');
  await dialog.getByText('each of their cards is revoked').waitFor();
  await screenshots(hr, 'person-terminate');
  await dialog.getByRole('heading', { name: /^Terminate / }).waitFor();
  await dialog.getByRole('button', { name: 'Terminate' }).click();
  await hr.getByText(/employee, terminated/).waitFor();
  const statuses = await hr.locator('[data-testid^=status-]').allTextContents();
  assert.ok(statuses.length >= 2 && statuses.every((x) => x === 'revoked'), statuses.join(','));
  const op = await env.chrome.page();
  await signIn(op, 'olga', '/');
  await op.getByRole('heading', { name: 'Welcome, olga' }).waitFor();
  const doors = await op.evaluate(async () => (await (await fetch('/api/v1/doors?limit=1000')).json()).items);
  const d = await swipe(op, doors[0].id, 'h10301:7:4242');
  assert.equal(d.decision, 'denied');
  assert.ok(['credential_inactive', 'person_inactive'].includes(d.reason), d.reason);
});
