// import.test.mjs: HR imports a roster in a real browser. A file with errors is checked:
// every error is listed by line, column and field, the import stays disabled and nobody
// is added. A good file is checked (what the import will do), then imported, and its
// people are found on the People page.
import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { screenshots, serverAndBrowser, signIn } from './harness.mjs';

const ROSTER = join(resolve(dirname(fileURLToPath(import.meta.url)), '../data/roster'));
const env = serverAndBrowser(['--set', 'mfa.required_roles=']);

const count = (page) =>
  page.evaluate(async () => (await (await fetch('/api/v1/people?limit=1000')).json()).items.length);

test('a roster with errors shows them line by line; a good one is checked, then imported', async () => {
  env.server.addUser('hana', 'hr');
  const page = await env.chrome.page();
  await signIn(page, env.server, 'hana', '/people');
  await page.getByRole('heading', { name: 'People' }).waitFor();
  await page.getByRole('link', { name: 'Import a roster' }).click();
  await page.getByRole('heading', { name: 'Import a roster' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Check the file' }).isDisabled(), true);

  // the file with errors: each one listed where it is; nothing imported
  await page.getByLabel('Roster file (CSV)').setInputFiles(join(ROSTER, 'bad.csv'));
  await page.getByRole('button', { name: 'Check the file' }).click();
  const errors = page.getByTestId('import-error');
  await errors.first().waitFor();
  await page.getByText('11 errors in the roster').waitFor();
  assert.equal(await errors.count(), 11);
  assert.deepEqual(await errors.first().locator('td').allTextContents(), [
    '3',
    '1',
    'employee_id',
    "'A 12' may contain only letters, digits and . _ : -",
  ]);
  assert.ok((await errors.allTextContents()).some((t) => t.startsWith('8') && t.includes('end_date')));
  assert.equal(await page.getByRole('button', { name: 'Import' }).isDisabled(), true);
  await screenshots(page, 'import-errors');
  assert.equal(await count(page), 0);

  // the good file: checked (a dry run: still nobody), then imported
  await page.getByLabel('Roster file (CSV)').setInputFiles(join(ROSTER, 'good.csv'));
  assert.equal(await errors.count(), 0); /* a new file clears the old errors */
  await page.getByRole('button', { name: 'Check the file' }).click();
  const checked = page.getByRole('status', { name: 'What the import will do' });
  await checked.waitFor();
  const created = Number(await checked.getByTestId('sum-created').textContent());
  assert.ok(created > 0);
  assert.equal(await count(page), 0);
  await screenshots(page, 'import-checked');
  await page.getByRole('button', { name: /^Import \d+ rows$/ }).click();
  await page.getByRole('status', { name: 'What the import did' }).waitFor();
  assert.equal(await count(page), created);

  // and the people are there
  await page.getByRole('link', { name: 'See the people' }).click();
  await page.getByRole('searchbox').fill('Quintero');
  await page.getByRole('link', { name: 'E1001', exact: true }).waitFor();
  assert.deepEqual(page.cspViolations, []);
});
