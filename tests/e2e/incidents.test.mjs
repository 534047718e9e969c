// incidents.test.mjs: an injected scenario worked through in a real browser. A badge-cloning
// drill is injected (the command line, as a drill leader would); its alarm appears in the
// live monitor and an operator acknowledges it there; its incident is on the board under
// Security; on its page the procedure is worked through (steps done, one skipped with a
// reason), a note and a file are added, and the incident is resolved, then closed; a resolve refused
// while steps are open says why. The who-to-call directory and the drill's report show
// what happened.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { screenshots, serverAndBrowser, signIn } from './harness.mjs';

const env = serverAndBrowser(['--set', 'mfa.required_roles=', '--set', 'rules.tick_ms=100']);

test('an injected scenario: its alarm acknowledged in the monitor, its incident worked to resolved', async () => {
  env.server.gh('sim', '--people', '30', '--seed', '3', '--no-scenarios'); /* a campus */
  env.server.addUser('olga', 'security_operator');
  const page = await env.chrome.page();
  await signIn(page, env.server, 'olga', '/monitor');
  await page.getByRole('heading', { name: 'Monitor' }).waitFor();
  await page.getByText('No alarm is open.').waitFor();

  const out = env.server.gh('drill', 'badge-cloning');
  const drill = Number(/drill (\d+):/.exec(out)[1]);

  // the alarm appears live; acknowledged here
  const row = page.getByTestId('alarm-row').filter({ hasText: 'badge cloning' });
  await row.waitFor();
  await row.getByText('drill').waitFor();
  await screenshots(page, 'monitor-alarm');
  await row.getByRole('button', { name: /^Acknowledge/ }).click();
  await row.getByText('acknowledged by olga').waitFor();

  // the board: under Security, acknowledged (drills shown on request)
  await row.getByRole('link', { name: /^Incident \d+$/ }).click();
  await page.getByRole('heading', { name: /^Incident \d+: Suspected cloned badge$/ }).waitFor();
  const url = page.url();
  await page.getByRole('link', { name: 'All incidents' }).click();
  await page.getByRole('heading', { name: 'Incidents' }).waitFor();
  await page.getByLabel('Show drills').check();
  await page.getByTestId('column-acknowledged').getByRole('link', { name: /Suspected cloned badge/ }).waitFor();
  await screenshots(page, 'incidents-board');
  await page.goto(url);
  await page.getByTestId('incident-status').filter({ hasText: 'acknowledged' }).waitFor();

  // resolving with the procedure open is refused, and says why
  await page.getByRole('button', { name: 'Resolve' }).click();
  await page.getByRole('alert').filter({ hasText: 'required steps are open' }).waitFor();

  // the procedure: two steps done, one skipped with a reason; a note; assigned
  await page.getByRole('button', { name: 'Investigate' }).click();
  await page.getByTestId('incident-status').filter({ hasText: 'investigating' }).waitFor();
  await page.getByRole('button', { name: 'Assign to me' }).click();
  await page.getByRole('button', { name: 'Done step 1' }).click();
  await page.getByTestId('step-1').getByText('done by olga').waitFor();
  await page.getByRole('button', { name: 'Done step 2' }).click();
  await page.getByTestId('step-2').getByText('done by olga').waitFor();
  await page.getByRole('button', { name: 'Skip step 3' }).click();
  await page.getByLabel('Why is step 3 skipped?').fill('a drill: the drill card is not a real one');
  await page.getByRole('button', { name: 'Skip step 3', exact: true }).last().click();
  await page.getByTestId('step-3').getByText('skipped by olga: a drill').waitFor();
  await page.getByLabel('Note').fill('Both reads were the drill card; nothing to suspend.');
  await page.getByRole('button', { name: 'Add the note' }).click();
  await page.getByText('Both reads were the drill card; nothing to suspend.').waitFor();
  await page.getByLabel('Attach a file').setInputFiles({ name: 'statement.txt', mimeType: 'text/plain', buffer: Buffer.from('I was at B1 all day.') });
  await page.getByRole('link', { name: 'statement.txt' }).waitFor();
  await screenshots(page, 'incident-detail');

  await page.getByRole('button', { name: 'Resolve' }).click();
  await page.getByTestId('incident-status').filter({ hasText: 'resolved' }).waitFor();
  await page.getByRole('button', { name: 'Close' }).click();
  await page.getByTestId('incident-status').filter({ hasText: 'closed' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Resolve' }).count(), 0);

  // the report links are there, and the drill's report has the times
  await page.getByRole('link', { name: 'Markdown' }).waitFor();
  await page.getByRole('link', { name: `drill ${drill}` }).click();
  await page.getByRole('heading', { name: `Drill ${drill}: badge-cloning` }).waitFor();
  const cells = page.getByRole('row').filter({ hasText: 'Security' });
  await cells.getByText('closed').waitFor();
  assert.doesNotMatch(await cells.textContent(), /not yet/);
  await screenshots(page, 'drill-report');

  // who to call
  await page.getByRole('link', { name: 'Who to call' }).click();
  await page.getByRole('heading', { name: 'Who to call' }).waitFor();
  await page.getByRole('button', { name: 'Add a contact to Security' }).click();
  await page.getByLabel('Name').fill('Lea Liaison');
  await page.getByLabel('Phone').fill('+49 30 1234');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByRole('cell', { name: 'Lea Liaison', exact: true }).waitFor();
  await screenshots(page, 'directory');
});
