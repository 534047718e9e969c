// audit.test.mjs: the audit log in a real browser, signed in as an auditor. The signed tree
// head's signature checks in the browser; entries filtered by text show the changes made
// with the CLI and the API; an entry's inclusion proof checks in the browser against the
// signed head; the whole log verifies. Then an entry is edited in the database file
// underneath: the server's verification names its index, and that entry's proof no
// longer checks in the browser.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { screenshots, serverAndBrowser, signIn } from './harness.mjs';

const env = serverAndBrowser(['--set', 'mfa.required_roles=']);

/** Entry `index` edited in the file, past the triggers that forbid it (an attacker with
 * the database file). */
function tamper(data, index, from, to) {
  const sql = `DROP TRIGGER IF EXISTS audit_entries_no_update; UPDATE audit_entries SET entry = replace(entry, '${from}', '${to}') WHERE idx = ${index};`;
  const r = spawnSync('sqlite3', [join(data, 'gatehouse.db'), sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

test('an auditor checks the signed head, an entry and the whole log in the browser, and sees tampering', async () => {
  const g = env.server.gh;
  env.server.addUser('aud', 'auditor');
  g('site', 'add', 'Zoë Campus', '--tz', 'Europe/Berlin');
  g('area', 'add', 'Lobby', '--site', 'Zoë Campus');
  g('audit', 'head', '--sign'); /* a head now, rather than waiting for the server's */

  const page = await env.chrome.page();
  await signIn(page, env.server, 'aud', '/audit');
  await page.getByRole('heading', { name: 'Audit log' }).waitFor();
  await page.getByText(/Signature checked in this browser with the server key [0-9a-f]{16}/).waitFor();

  // the CLI's change, found by text
  await page.getByLabel('Text anywhere').fill('zoë campus');
  await page.getByRole('button', { name: 'Filter' }).click();
  const row = page.getByRole('row', { name: /site add/ });
  await row.waitFor();
  const index = Number((await row.getByRole('cell').first().textContent()).trim());
  await row.getByRole('button', { name: `Check entry ${index}` }).click();
  await row.getByText(/Included in the signed tree head of \d+ entries \(checked here\)/).waitFor();

  // the whole log
  await page.getByRole('button', { name: 'Verify the whole log' }).click();
  await page.getByText(/^Verified: \d+ entries, \d+ signed tree heads/).waitFor();
  await screenshots(page, 'audit');

  // someone edits the entry in the file: named by the server, refused by the browser
  tamper(env.server.data, index, 'Zoë Campus', 'Elsewhere');
  await page.getByRole('button', { name: 'Verify the whole log' }).click();
  await page.getByText(/The log does NOT verify: \d+ problems? in \d+ entries/).waitFor();
  await page.getByText(`Entry ${index}: entry ${index} is not the entry that was appended`).waitFor();
  await page.getByLabel('Text anywhere').fill('site add'); /* its text is not Zoë's now */
  await page.getByRole('button', { name: 'Filter' }).click();
  const edited = page.getByRole('row', { name: /site add/ });
  await edited.getByRole('button', { name: `Check entry ${index}` }).click();
  await edited.getByText('Does NOT match the signed tree head: this entry is not what was appended.').waitFor();
  await screenshots(page, 'audit-tampered');
  assert.deepEqual(page.cspViolations, []);
});
