// investigate.test.mjs: investigations in a real browser, on a simulated working day. An
// operator looks up a badge by its card: every row found is that card's, the explanation of
// a denied read shows the check that failed, and the CSV export of the same search holds
// the same rows. Then a person found by name: the timeline of where they went, day by day,
// and a search that the URL carries survives a reload.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { screenshots, serverAndBrowser, signIn } from './harness.mjs';

const env = serverAndBrowser(['--set', 'mfa.required_roles=']);
const EXPORT_HEADER = 'timestamp,badge_id,door_id,door_name,person_id,employee_id,decision,reason';

/** Tiny RFC 4180 reader (no field in the export spans lines). */
function csvRows(text) {
  return text
    .trim()
    .split(/\r?\n/)
    .map((line) => {
      const out = [];
      let cur = '';
      let quoted = false;
      for (let i = 0; i < line.length; i++) {
        const ch = line[i];
        if (quoted && ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
        else if (ch === '"') quoted = !quoted;
        else if (ch === ',' && !quoted) out.push(cur), (cur = '');
        else cur += ch;
      }
      out.push(cur);
      return out;
    });
}

test('a badge investigated: its reads, the explanation of a denial, the CSV export', async () => {
  env.server.gh('sim', '--people', '40', '--seed', '6');
  env.server.addUser('ivan', 'security_operator');
  const page = await env.chrome.page();
  await signIn(page, env.server, 'ivan', '/investigate');
  await page.getByRole('heading', { name: 'Investigate' }).waitFor();
  await page.getByText('Choose a person, a badge, a door or a time range').waitFor();

  // a card with a denied read that day, and all of its reads (from the API, to compare)
  const denied = await page.evaluate(
    async () => (await (await fetch('/api/v1/events?type=access.decision&decision=denied&limit=1000')).json()).items,
  );
  const target = denied.find((e) => e.credential_id !== null);
  assert.ok(target, 'the simulated day has no denied read of an enrolled card');
  const cred = await page.evaluate(async (id) => (await fetch(`/api/v1/credentials/${id}`)).json(), target.credential_id);
  const card = `${cred.format}:${cred.facility}:${cred.number}`;
  const reads = await page.evaluate(
    async (id) => (await (await fetch(`/api/v1/events?type=access.decision&credential_id=${id}&limit=1000`)).json()).items,
    target.credential_id,
  );

  // a badge that is no card, then the card
  await page.getByLabel('Badge').fill('not a card');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText('Give the card as FORMAT:FACILITY:NUMBER').waitFor();
  await page.getByLabel('Badge').fill(card);
  await page.getByRole('button', { name: 'Search' }).click();
  const rows = page.getByTestId('result-row');
  await page.getByRole('status').filter({ hasText: `${reads.length} event` }).waitFor();
  assert.equal(await rows.count(), reads.length);
  /* the badge column names the card once its row is fetched: wait for every one */
  await page.waitForFunction(
    (c) => [...document.querySelectorAll('[data-testid=result-row] td:nth-child(4)')].every((td) => td.textContent === c),
    card,
  );
  assert.match(page.url(), new RegExp(`credential_id=${target.credential_id}`));

  // the explanation of the denied read: recorded vs. today, and the failed check
  const index = reads.findIndex((e) => e.offset === target.offset);
  await rows.nth(index).getByRole('button', { name: /Explain/ }).click();
  const why = page.getByLabel(`Explanation of event ${target.offset}`);
  await why.getByText('Recorded: denied').waitFor();
  await why.getByText(/The same read with today's policy/).waitFor();
  assert.ok((await why.locator('li.fail').count()) >= 1, 'no failed check shown');
  await screenshots(page, 'investigate-explain');

  // the CSV export of the same search: the same reads, this card on each row
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
  const csv = csvRows(readFileSync(await download.path(), 'utf8'));
  assert.equal(csv[0].join(','), EXPORT_HEADER);
  assert.equal(csv.length - 1, reads.length);
  assert.ok(csv.slice(1).every((r) => r[1] === card));
  assert.deepEqual(
    csv.slice(1).map((r) => r[6]),
    reads.map((e) => e.decision),
  );
  assert.deepEqual(page.cspViolations, []);
});

test('a person found by name: where they went, and a search the URL keeps', async () => {
  const page = await env.chrome.page('light');
  await signIn(page, env.server, 'ivan', '/investigate');
  await page.getByRole('heading', { name: 'Investigate' }).waitFor();
  const people = await page.evaluate(async () => (await (await fetch('/api/v1/people?limit=1000')).json()).items);
  let person = null;
  let granted = [];
  for (const p of people) {
    const ev = await page.evaluate(
      async (id) => (await (await fetch(`/api/v1/events?type=access.decision&person_id=${id}&limit=1000`)).json()).items,
      p.id,
    );
    granted = ev.filter((e) => e.decision === 'granted');
    if (granted.length >= 2) {
      person = p;
      break;
    }
  }
  assert.ok(person, 'nobody went through two doors');
  await page.getByLabel('Person').fill(person.last_name.slice(0, 4));
  await page.getByRole('button', { name: `${person.first_name} ${person.last_name} (${person.employee_id})` }).click();
  await page.getByRole('button', { name: 'Search' }).click();
  const timeline = page.getByRole('region', { name: 'Where they went' });
  await timeline.waitFor();
  const entries = timeline.getByTestId('timeline-entry');
  await entries.first().waitFor();
  assert.ok((await entries.count()) >= granted.length);
  assert.match(await entries.first().textContent(), /→|refused at/);
  await screenshots(page, 'investigate-person');

  // the search is in the URL: a reload (or a colleague with the link) sees the same
  const count = await entries.count();
  await page.reload();
  await page.getByRole('region', { name: 'Where they went' }).getByTestId('timeline-entry').first().waitFor();
  assert.equal(await page.getByTestId('timeline-entry').count(), count);
  await page.getByText(`${person.first_name} ${person.last_name} (${person.employee_id})`).first().waitFor();
});
