// sso.test.mjs: single sign-on in a real browser with a real OpenID Connect provider (the
// npm package oidc-provider, tests/oidc/provider.mjs, on 127.0.0.1 over HTTPS with its own
// certificate; it signs the chosen account in without a login form). The sign-in page shows
// the provider's button; the code flow runs through the browser and the console opens with
// the roles the provider's groups map to, at the page asked for. With a provider that
// cannot be reached, the button brings the user back to the sign-in page with fixed words
// saying so.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { browser, screenshots, startServer } from './harness.mjs';

const OIDC_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../oidc');
const SECRET = 'gatehouse-e2e-oidc-secret';

function freePort() {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** The provider on a free port, for a client whose redirect URI is `redirect`. */
async function startProvider(dir, redirect) {
  const cert = join(dir, 'op-cert.pem');
  const key = join(dir, 'op-key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-days', '2', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  const accounts = join(dir, 'accounts.json');
  writeFileSync(accounts, JSON.stringify({
    olivia: { sub: 'u-olivia-7', preferred_username: 'olivia', name: 'Olivia Ops', email: 'olivia@example.com',
      groups: ['gh-operators'], amr: ['pwd', 'otp'] },
  }));
  /* the provider, on a loaded machine, has once printed nothing for 30 s (as in the
   * integration tests' harness): a start that hangs is stopped and tried again, 3 times */
  let lastError;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const t0 = Date.now();
    const proc = spawn('node', ['provider.mjs', '--port', String(port), '--cert', cert, '--key', key, '--client-id', 'gatehouse',
      '--client-secret', SECRET, '--redirect-uri', redirect, '--accounts', accounts], { cwd: OIDC_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    proc.stderr.on('data', (d) => (log += d));
    try {
      const issuer = await new Promise((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`the provider did not start in 20 s (try ${attempt})\n${log}`)), 20000);
        createInterface({ input: proc.stdout }).on('line', (l) => {
          const m = /^ready (\S+)/.exec(l);
          if (m) (clearTimeout(timer), ok(m[1]));
        });
        proc.on('exit', (code) => (clearTimeout(timer), fail(new Error(`the provider exited (${code})\n${log}`))));
      });
      console.log(`oidc provider ready after ${Date.now() - t0} ms (try ${attempt})`);
      return { issuer, cert, stop: () => new Promise((ok) => (proc.on('exit', ok), proc.kill('SIGTERM'))) };
    } catch (e) {
      lastError = e;
      console.log(e.message);
      proc.kill('SIGKILL');
    }
  }
  throw lastError;
}

const dir = mkdtempSync(join(tmpdir(), 'gh-e2e-sso-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** gatehouse.ini for a provider at issuer (its certificate in ca), callback on port. */
function config(name, issuer, ca, port) {
  const secret = join(dir, 'oidc-secret');
  writeFileSync(secret, `${SECRET}\n`);
  chmodSync(secret, 0o600);
  const file = join(dir, name);
  writeFileSync(file, `[oidc]
issuer = ${issuer}
client_id = gatehouse
client_secret_file = ${secret}
redirect_uri = https://127.0.0.1:${port}/api/v1/auth/oidc/callback
ca_file = ${ca}
scopes = openid profile email groups
label = Sign in with Example SSO
timeout = 3
role.security_operator = gh-operators
`);
  return ['--config', file, '--listen', `127.0.0.1:${port}`];
}

test('single sign-on through a real provider opens the console with the mapped role', async () => {
  const port = await freePort();
  const op = await startProvider(dir, `https://127.0.0.1:${port}/api/v1/auth/oidc/callback`);
  const server = await startServer(config('gatehouse.ini', op.issuer, op.cert, port));
  const chrome = await browser();
  try {
    const page = await chrome.page();
    await page.goto(`${server.url}/monitor`);
    await page.getByRole('heading', { name: 'Sign in to gatehouse' }).waitFor();
    await screenshots(page, 'sign-in-sso');
    await page.getByRole('link', { name: 'Sign in with Example SSO' }).click();
    // through the provider and back: the monitor asked for, as an operator
    await page.getByRole('heading', { name: 'Monitor' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/monitor');
    await page.getByRole('link', { name: /Olivia Ops \(security_operator\)/ }).waitFor();
    const who = await page.evaluate(async () => (await (await fetch('/api/v1/auth/session')).json()).user.name);
    assert.equal(who, 'olivia');
    assert.deepEqual(page.cspViolations, []);
  } finally {
    await chrome.close();
    await op.stop();
    await server.stop();
  }
});

test('a provider that cannot be reached: back on the sign-in page, told so in fixed words', async () => {
  const port = await freePort();
  let nobody = await freePort(); /* nothing listens there */
  while (nobody === port) nobody = await freePort();
  const server = await startServer(config('unreachable.ini', `https://127.0.0.1:${nobody}`, join(dir, 'op-cert.pem'), port));
  const chrome = await browser();
  try {
    const page = await chrome.page();
    await page.goto(`${server.url}/`);
    await page.getByRole('link', { name: 'Sign in with Example SSO' }).click();
    await page.getByRole('alert').getByText('The identity provider cannot be reached.').waitFor();
    assert.equal(new URL(page.url()).pathname, '/sign-in');
    /* password sign-in is still there */
    await page.getByLabel('Password').waitFor();
    await screenshots(page, 'sign-in-sso-unavailable');
  } finally {
    await chrome.close();
    await server.stop();
  }
});
