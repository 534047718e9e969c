// a11y.test.mjs: an accessibility check of the console's pages with axe-core (WCAG 2.1 A
// and AA rules) in both themes: no serious or critical violation. axe is injected into the
// page, so this context bypasses the Content-Security-Policy (the other tests keep it).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { PASSWORD, serverAndBrowser } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const env = serverAndBrowser(['--set', 'mfa.required_roles=']);

async function audit(page, name) {
  const found = [];
  for (const theme of ['dark', 'light']) {
    await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
    await page.addScriptTag({ path: axePath });
    const result = await page.evaluate(async () =>
      // eslint-disable-next-line no-undef
      (await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] })).violations,
    );
    for (const v of result)
      if (v.impact === 'serious' || v.impact === 'critical')
        found.push(`${name} (${theme}): ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  }
  return found;
}

test('sign-in, overview, doors, the monitor, investigations, people, roster import, users, the account and the policy pages pass axe in both themes', async () => {
  env.server.gh('sim', '--people', '20', '--seed', '5', '--no-scenarios');
  env.server.addUser('fran', 'security_operator');
  const page = await env.chrome.page('dark', { bypassCSP: true });
  await page.goto(env.server.url + '/');
  await page.getByRole('heading', { name: 'Sign in to gatehouse' }).waitFor();
  const problems = await audit(page, 'sign-in');
  await page.getByLabel('Name').fill('fran');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Welcome, fran' }).waitFor();
  problems.push(...(await audit(page, 'overview')));
  await page.getByRole('link', { name: 'Doors' }).click();
  await page.getByRole('table').waitFor();
  problems.push(...(await audit(page, 'doors')));
  await page.getByRole('link', { name: 'Monitor' }).click();
  await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
  env.server.gh('sim', '--people', '20', '--seed', '5', '--day', '2026-11-24', '--no-scenarios');
  await page.getByTestId('event-row').first().waitFor();
  problems.push(...(await audit(page, 'monitor')));
  await page.getByRole('link', { name: 'Investigate' }).click();
  await page.getByLabel('Badge').fill('h10301:42:10000');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByTestId('result-row').first().getByRole('button', { name: /Explain/ }).click();
  await page.getByText('Recorded:').waitFor();
  problems.push(...(await audit(page, 'investigate')));
  await page.getByRole('link', { name: 'People' }).click();
  await page.getByRole('table').waitFor();
  problems.push(...(await audit(page, 'people')));
  await page.getByRole('table').getByRole('link').first().click();
  await page.getByRole('heading', { name: 'Credentials' }).waitFor();
  problems.push(...(await audit(page, 'person')));
  /* the administration page, as an administrator */
  env.server.addUser('ada', 'admin');
  const admin = await env.chrome.page('dark', { bypassCSP: true });
  await admin.goto(env.server.url + '/users');
  await admin.getByLabel('Name').fill('ada');
  await admin.getByLabel('Password').fill(PASSWORD);
  await admin.getByRole('button', { name: 'Sign in' }).click();
  await admin.getByRole('table').waitFor();
  problems.push(...(await audit(admin, 'users')));
  for (const [link, name] of [['Sites', 'sites'], ['Schedules', 'schedules'], ['Access levels', 'levels']]) {
    await admin.getByRole('link', { name: link, exact: true }).click();
    await admin.locator('form.inline-form').first().waitFor();
    problems.push(...(await audit(admin, name)));
  }
  await admin.getByRole('table').getByRole('link').first().click();
  await admin.getByRole('form', { name: 'Add a door to the level' }).waitFor();
  problems.push(...(await audit(admin, 'level')));
  await admin.getByRole('link', { name: 'Doors', exact: true }).click();
  await admin.getByRole('heading', { name: 'Add a door' }).waitFor();
  problems.push(...(await audit(admin, 'doors-admin')));
  await admin.getByRole('link', { name: 'Devices', exact: true }).click();
  await admin.getByRole('heading', { name: 'Add a controller' }).waitFor();
  problems.push(...(await audit(admin, 'devices')));
  /* alarms, incidents, who to call, drills (a drill makes an alarm and an incident) */
  const drill = Number(/drill (\d+):/.exec(env.server.gh('drill', 'forced-door'))[1]);
  await admin.getByRole('link', { name: 'Monitor', exact: true }).click();
  await admin.getByTestId('alarm-row').first().waitFor();
  problems.push(...(await audit(admin, 'monitor-alarms')));
  await admin.getByRole('link', { name: 'Incidents', exact: true }).click();
  await admin.getByLabel('Show drills').check();
  await admin.getByTestId('column-new').getByRole('link').first().click();
  await admin.getByRole('heading', { name: 'Procedure' }).waitFor();
  problems.push(...(await audit(admin, 'incident')));
  await admin.getByRole('link', { name: 'All incidents' }).click();
  await admin.getByLabel('Show drills').check();
  await admin.getByTestId('column-new').getByRole('link').first().waitFor();
  problems.push(...(await audit(admin, 'incidents')));
  await admin.getByRole('link', { name: 'Who to call', exact: true }).click();
  await admin.getByRole('heading', { name: 'Security' }).waitFor();
  problems.push(...(await audit(admin, 'directory')));
  await admin.goto(env.server.url + `/drills/${drill}`);
  await admin.getByRole('heading', { name: `Drill ${drill}: forced-door` }).waitFor();
  problems.push(...(await audit(admin, 'drill')));
  await admin.getByRole('link', { name: 'Audit log', exact: true }).click();
  await admin.getByRole('table', { name: /Entries/ }).waitFor();
  await admin.getByRole('button', { name: 'Verify the whole log' }).click();
  await admin.getByText(/^Verified: /).waitFor();
  problems.push(...(await audit(admin, 'audit')));
  await admin.goto(env.server.url + '/people/import');
  await admin.getByLabel('Roster file (CSV)').setInputFiles(join(here, '../data/roster/bad.csv'));
  await admin.getByRole('button', { name: 'Check the file' }).click();
  await admin.getByTestId('import-error').first().waitFor();
  problems.push(...(await audit(admin, 'import')));
  await admin.getByRole('link', { name: /ada \(admin\)/ }).click();
  await admin.getByRole('table', { name: /session/ }).waitFor();
  problems.push(...(await audit(admin, 'account')));
  assert.deepEqual(problems, []);
});
