// monitor.test.mjs: the live monitor in a real browser: events from the simulator (run as
// a separate process on the server's data dir) arrive in the feed while it is open; pause
// holds the list still and counts what arrives; an operator locks an area down after a
// confirmation, the lockdown shows, and the next swipe at a door into it is denied for
// that reason; a security_viewer sees the same monitor without any action button, and a
// lockdown called from its session is refused by the server. At 1,000 events/s (the
// simulator's live mode) the feed keeps up and only the visible rows are in the document
// (how responsive it stays is measured by bench/bench_console.mjs).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { BIN, screenshots, serverAndBrowser, signIn as signInAt, swipe } from './harness.mjs';

/* MFA is off for this file's server: enrollment has its own test (signin.test.mjs) */
const env = serverAndBrowser(['--set', 'mfa.required_roles=']);

async function signIn(page, name) {
  await signInAt(page, env.server, name, '/monitor');
  await page.getByRole('heading', { name: 'Monitor' }).waitFor();
}

test('live events arrive; a lockdown denies the next swipe', async () => {
  env.server.gh('sim', '--people', '30', '--seed', '3', '--no-scenarios'); /* the campus */
  env.server.addUser('olga', 'security_operator');
  const page = await env.chrome.page();
  await signIn(page, 'olga');
  await page.getByRole('status').filter({ hasText: 'live' }).waitFor();
  const rows = page.getByTestId('event-row');
  assert.equal(await rows.count(), 0);

  // another day of traffic while the page is open: it streams in
  env.server.gh('sim', '--people', '30', '--seed', '3', '--day', '2026-11-24', '--no-scenarios');
  await rows.first().waitFor();
  await screenshots(page, 'monitor');

  // pause: the list holds still and counts what arrives
  await page.getByRole('button', { name: 'Pause' }).click();
  const held = await rows.first().textContent();
  env.server.gh('sim', '--people', '30', '--seed', '3', '--day', '2026-11-25', '--no-scenarios');
  await page.getByRole('status').filter({ hasText: /paused, [1-9]\d* new/ }).waitFor();
  assert.equal(await rows.first().textContent(), held);
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.getByRole('status').filter({ hasText: /^live$/ }).waitFor();

  // lock down the first area, with a confirmation
  const areas = await page.evaluate(async () => (await (await fetch('/api/v1/areas?limit=1000')).json()).items);
  const doors = await page.evaluate(async () => (await (await fetch('/api/v1/doors?limit=1000')).json()).items);
  const door = doors.find((d) => areas.some((a) => a.id === d.to_area_id));
  const area = areas.find((a) => a.id === door.to_area_id);
  await page.getByRole('button', { name: `Lock down ${area.name}` }).click();
  const dialog = page.getByRole('alertdialog');
  await dialog.getByRole('heading', { name: `Lock down ${area.name}?` }).waitFor();
  await screenshots(page, 'monitor-confirm-lockdown');
  await dialog.getByRole('button', { name: 'Lock down' }).click();
  await page.getByRole('button', { name: `Release ${area.name}` }).waitFor();
  await page.getByText('LOCKED DOWN', { exact: true }).waitFor();
  await page.getByTestId('event-row').filter({ hasText: 'operator.action' }).first().waitFor();
  await page.getByTestId(`door-${door.id}`).filter({ hasText: 'locked down (this area)' }).waitFor();

  // the next swipe there: a credential that was granted before is now denied
  const cards = await page.evaluate(async () => (await (await fetch('/api/v1/credentials?limit=1000')).json()).items);
  const active = cards.filter((c) => c.status === 'active');
  let decision = null;
  for (const c of active) {
    const d = await swipe(page, door.id, `${c.format}:${c.facility}:${c.number}`);
    if (d.reason === 'door_locked_down') {
      decision = d;
      break;
    }
  }
  assert.ok(decision, 'no swipe was denied for the lockdown');
  assert.equal(decision.decision, 'denied');

  // and the simulator's next reads there, recorded: denied for the lockdown, in the feed
  const feeder = spawn(BIN, ['--data', env.server.data, 'sim', '--rate', '100', '--flood'], { stdio: 'ignore' });
  try {
    await rows.filter({ hasText: `denied: door locked down` }).first().waitFor();
  } finally {
    const exited = new Promise((ok) => feeder.on('exit', ok));
    feeder.kill('SIGTERM');
    assert.equal(await exited, 0);
  }
  await screenshots(page, 'monitor-lockdown');

  // released from somewhere else (the CLI): the monitor shows it without a reload
  env.server.gh('area', 'release', area.name);
  await page.getByRole('button', { name: `Lock down ${area.name}` }).waitFor();
  assert.doesNotMatch(await page.getByTestId(`door-${door.id}`).textContent(), /locked down/);

  // a person in the feed leads to where they went
  await rows.getByRole('link', { name: /\(E\d+\)/ }).first().click();
  await page.getByRole('heading', { name: 'Investigate' }).waitFor();
  await page.getByRole('region', { name: 'Where they went' }).getByTestId('timeline-entry').first().waitFor();
  assert.deepEqual(page.cspViolations, []);
});

test('a security_viewer watches the same monitor and can change nothing', async () => {
  env.server.addUser('vera', 'security_viewer');
  const page = await env.chrome.page();
  await signIn(page, 'vera');
  await page.getByRole('heading', { name: 'Areas' }).waitFor();
  await page.locator('.areas li').first().waitFor();
  assert.equal(await page.getByRole('button', { name: /^(Lock down|Release) / }).count(), 0);
  await screenshots(page, 'monitor-viewer');
  const status = await page.evaluate(async () => {
    const csrf = (await (await fetch('/api/v1/auth/session')).json()).csrf_token;
    const areas = (await (await fetch('/api/v1/areas?limit=1')).json()).items;
    const r = await fetch(`/api/v1/areas/${areas[0].id}/lockdown`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: '{}',
    });
    return r.status;
  });
  assert.equal(status, 403);
});

test('at 1,000 events/s the feed keeps up, stays virtualized, and pause still holds', async () => {
  const page = await env.chrome.page();
  await signIn(page, 'olga');
  await page.getByRole('status').filter({ hasText: /^live$/ }).waitFor();
  const feeder = spawn(BIN, ['--data', env.server.data, 'sim', '--rate', '1000', '--flood'], { stdio: 'ignore' });
  try {
    const rows = page.getByTestId('event-row');
    await rows.first().waitFor();
    // the newest row keeps changing: the stream is flowing into the page
    const seen = await rows.first().textContent();
    await page.waitForFunction((t) => document.querySelector('[data-testid=event-row]')?.textContent !== t, seen);
    // thousands of events held, only the visible rows in the document
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('status').filter({ hasText: /^paused/ }).waitFor();
    /* the rows held are still being named (a person's name comes in after the row) */
    await page.waitForFunction(() => !/#\d+/.test(document.querySelector('[data-testid=event-row]')?.textContent ?? '#'));
    const held = await rows.first().textContent();
    await page.getByRole('status').filter({ hasText: /paused, \d{4,} new/ }).waitFor(); /* a second or more later */
    assert.equal(await rows.first().textContent(), held);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('status').filter({ hasText: /^live$/ }).waitFor();
    assert.ok((await rows.count()) <= 30, `${await rows.count()} rows in the document`);
  } finally {
    const exited = new Promise((ok) => feeder.on('exit', ok));
    feeder.kill('SIGTERM');
    assert.equal(await exited, 0);
  }
});
