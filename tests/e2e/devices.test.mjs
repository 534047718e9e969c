// devices.test.mjs: door controllers in a real browser: an administrator adds a controller
// with its door, makes its enrollment token, and a real `gatehouse edge` enrolled with that
// token shows online with its door's state; a momentary unlock from the console reaches
// the door; the controller killed shows offline within one heartbeat period (plus the
// page's refresh).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { BIN, screenshots, serverAndBrowser, signIn } from './harness.mjs';

const env = serverAndBrowser(['--set', 'mfa.required_roles=']);
const HEARTBEAT_S = 1;

/** A controller enrolled with token; resolves once it runs. */
function startEdge(token) {
  const data = mkdtempSync(join(tmpdir(), 'gh-e2e-edge-'));
  const proc = spawn(
    BIN,
    ['edge', '--data', data, '--server', env.server.url, '--ca', join(env.server.data, 'tls/cert.pem'), '--enroll', token, '--heartbeat', String(HEARTBEAT_S), '--ready-fd', '3'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  proc.stderr.on('data', (d) => (log += d));
  return new Promise((ok, fail) => {
    createInterface({ input: proc.stdio[3] }).on('line', (l) => l === 'ready' && ok({ proc, data, log: () => log }));
    proc.on('exit', (code) => fail(new Error(`edge exited (${code})\n${log}`)));
  });
}

/** One line to the controller's simulator socket, its answer. */
function sim(data, line) {
  return new Promise((ok, fail) => {
    const s = connect(join(data, 'sim.sock'));
    s.on('error', fail);
    createInterface({ input: s }).on('line', (answer) => (s.end(), ok(answer)));
    s.write(line + '\n');
  });
}

test('a controller is enrolled from the console, shows online, and offline once killed', async () => {
  const g = env.server.gh;
  env.server.addUser('root', 'admin');
  g('site', 'add', 'HQ', '--tz', 'Europe/Berlin');
  g('area', 'add', 'Outside', '--site', 'HQ');
  g('area', 'add', 'Lobby', '--site', 'HQ');
  g('door', 'add', 'Main', '--site', 'HQ', '--from', 'Outside', '--to', 'Lobby');

  const page = await env.chrome.page();
  await signIn(page, env.server, 'root', '/devices');
  await page.getByRole('heading', { name: 'Devices' }).waitFor();
  await page.getByText('No door controllers yet.').waitFor();
  await page.getByLabel('Name').fill('ctl-east');
  await page.getByRole('checkbox', { name: 'Main' }).check();
  await page.getByRole('button', { name: 'Add the controller' }).click();
  const row = page.getByRole('row', { name: /ctl-east/ });
  await row.getByText('not enrolled').waitFor();
  await row.getByRole('button', { name: 'Enrollment token for ctl-east' }).click();
  const token = (await page.getByTestId('enroll-token').textContent()).trim();
  assert.match(token, /^[A-Za-z0-9_-]{32}$/);
  await screenshots(page, 'devices-token');

  const edge = await startEdge(token);
  try {
    await row.getByText('online').waitFor({ timeout: 15000 });
    await row.getByText(/Main: locked, closed/).waitFor({ timeout: 15000 });
    await row.getByText(/\(current\)/).waitFor();
    await screenshots(page, 'devices');

    // a momentary unlock, confirmed, reaches the door
    await row.getByRole('button', { name: 'Unlock Main' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('alertdialog').waitFor({ state: 'detached' });
    const door = (await page.evaluate(async () => (await (await fetch('/api/v1/doors')).json()).items[0].id));
    for (let i = 0; ; i++) {
      if ((await sim(edge.data, `state ${door}`)).includes('lock=unlocked')) break;
      assert.ok(i < 200, 'the unlock did not reach the door');
      await new Promise((r) => setTimeout(r, 20));
    }

    // killed: offline within one heartbeat period (and the page's 3 s refresh)
    const killed = Date.now();
    edge.proc.kill('SIGKILL');
    await row.getByText('offline').waitFor({ timeout: (HEARTBEAT_S + 2 + 3 + 2) * 1000 });
    const took = (Date.now() - killed) / 1000;
    console.log(`controller shown offline ${took.toFixed(1)} s after it was killed (heartbeat ${HEARTBEAT_S} s, grace 2 s, refresh 3 s)`);
    await screenshots(page, 'devices-offline');
    assert.deepEqual(page.cspViolations, []);
  } finally {
    edge.proc.kill('SIGKILL');
    rmSync(edge.data, { recursive: true, force: true });
  }
});
