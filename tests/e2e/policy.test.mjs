// policy.test.mjs: the access policy built from nothing in a real browser. Facilities adds a
// site and its areas (one inside another), a schedule (a bad line is refused where it is
// written, and nothing is made), a holiday calendar, a door, and an access level with that
// door; HR gives the level to a person, and the person's card opens the door (a what-if
// swipe from an operator's session); HR takes the level away and the next swipe is denied
// for that reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { screenshots, serverAndBrowser, signIn, swipe } from './harness.mjs';

const env = serverAndBrowser(['--set', 'mfa.required_roles=']);
const CARD = 'h10301:12:3456';

const count = (page, path) => page.evaluate(async (p) => (await (await fetch(p)).json()).items.length, path);

test('facilities builds the policy, HR gives a level, the card opens the door', async () => {
  env.server.addUser('fred', 'facilities');
  env.server.addUser('hana', 'hr');
  env.server.addUser('olga', 'security_operator');
  env.server.gh('person', 'add', 'E1', '--first', 'Ann', '--last', 'Berg');
  env.server.gh('credential', 'add', '--person', 'E1', '--card', CARD);
  const fac = await env.chrome.page();
  await signIn(fac, env.server, 'fred', '/sites');
  await fac.getByRole('heading', { name: 'Sites and areas' }).waitFor();
  await fac.getByText('No sites yet').waitFor();

  // a site, then its areas: Lab inside Lobby
  await fac.getByLabel('New site').fill('HQ');
  await fac.getByLabel('Time zone (IANA)').fill('Europe/Berlin');
  await fac.getByRole('button', { name: 'Add the site' }).click();
  await fac.getByRole('heading', { name: /^HQ/ }).waitFor();
  for (const [name, inside, apb] of [
    ['Outside', '', 'none'],
    ['Lobby', '', 'none'],
    ['Lab', 'Lobby', 'hard'],
  ]) {
    await fac.getByLabel('New area').fill(name);
    if (inside) await fac.getByLabel('Inside').selectOption({ label: inside });
    await fac.getByLabel('Anti-passback').selectOption(apb);
    await fac.getByRole('button', { name: 'Add the area' }).click();
    await fac.getByRole('button', { name: `Delete ${name}` }).waitFor();
  }
  assert.match(await fac.locator('.tree .tree').textContent(), /Lab.*anti-passback: refuse/);
  await screenshots(fac, 'sites');

  // a schedule: a bad line is refused at the field, nothing is made; then a good one
  await fac.getByRole('link', { name: 'Schedules' }).click();
  await fac.getByRole('heading', { name: 'Schedules' }).waitFor();
  await fac.getByLabel('Name').fill('Always');
  await fac.getByLabel(/^When: one line each/).fill('someday 25:00-26:00');
  await fac.getByRole('button', { name: 'Add the schedule' }).click();
  await fac.locator('#sched-new-lines-error').waitFor();
  assert.equal(await count(fac, '/api/v1/schedules'), 0);
  await fac.getByLabel(/^When: one line each/).fill('daily 00:00-24:00');
  await fac.getByRole('button', { name: 'Add the schedule' }).click();
  await fac.getByRole('button', { name: 'Change Always' }).waitFor();
  await fac.getByLabel('New calendar').fill('Holidays');
  await fac.getByRole('button', { name: 'Add the calendar' }).click();
  await fac.getByLabel('Date').fill('2026-12-25');
  await fac.getByLabel('Holiday', { exact: true }).fill('Christmas Day');
  await fac.getByRole('button', { name: 'Add the holiday' }).click();
  await fac.getByText('Christmas Day').waitFor();
  await screenshots(fac, 'schedules');

  // a door from Outside into Lobby; then changed
  await fac.getByRole('link', { name: 'Doors' }).click();
  await fac.getByRole('heading', { name: 'Add a door' }).waitFor();
  await fac.getByLabel('Name').fill('Main Entrance');
  await fac.getByLabel('From area').selectOption({ label: 'Outside' });
  await fac.getByLabel('Into area').selectOption({ label: 'Lobby' });
  await fac.getByRole('button', { name: 'Add the door' }).click();
  await fac.getByRole('cell', { name: 'Outside → Lobby' }).waitFor();
  await fac.getByRole('button', { name: 'Change Main Entrance' }).click();
  const change = fac.getByRole('form', { name: 'Change Main Entrance' });
  await change.getByLabel('Held open after (s)').fill('45');
  await change.getByRole('button', { name: 'Save' }).click();
  await fac.getByRole('cell', { name: '45 s' }).waitFor();
  await screenshots(fac, 'doors');

  // an access level with that door, open during Always
  await fac.getByRole('link', { name: 'Access levels' }).click();
  await fac.getByLabel('New access level').fill('Staff');
  await fac.getByRole('button', { name: 'Add the level' }).click();
  await fac.getByRole('heading', { name: 'Staff' }).waitFor();
  await fac.getByLabel('Door', { exact: true }).selectOption({ label: 'Main Entrance' });
  await fac.getByLabel('Opens during').selectOption({ label: 'Always' });
  await fac.getByRole('button', { name: /^Add the door/ }).click();
  await fac.getByRole('cell', { name: 'Always' }).waitFor();
  await screenshots(fac, 'level');
  assert.deepEqual(fac.cspViolations, []);

  // HR gives Ann the level: her card opens the door; takes it away: denied, and why
  const op = await env.chrome.page();
  await signIn(op, env.server, 'olga');
  await op.getByRole('heading', { name: 'Welcome, olga' }).waitFor();
  const door = (await op.evaluate(async () => (await (await fetch('/api/v1/doors')).json()).items))[0].id;
  assert.equal((await swipe(op, door, CARD)).reason, 'no_access_level');
  const hr = await env.chrome.page();
  await signIn(hr, env.server, 'hana', '/people');
  await hr.getByRole('link', { name: 'E1', exact: true }).click();
  await hr.getByRole('heading', { name: 'Access levels' }).waitFor();
  await hr.getByLabel('Give the level').selectOption({ label: 'Staff' });
  await hr.getByRole('button', { name: 'Give', exact: true }).click();
  await hr.getByRole('button', { name: 'Take away Staff' }).waitFor();
  await screenshots(hr, 'person-levels');
  assert.equal((await swipe(op, door, CARD)).decision, 'granted');
  await hr.getByRole('button', { name: 'Take away Staff' }).click();
  await hr.getByText('No access levels: their cards open no door.').waitFor();
  const after = await swipe(op, door, CARD);
  assert.equal(after.decision, 'denied');
  assert.equal(after.reason, 'no_access_level');
});
