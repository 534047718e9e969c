// harness.mjs: what the console's end-to-end tests share: a real `gatehouse serve` on a
// throw-away data dir (127.0.0.1, any free port, its own self-signed certificate), users
// made with the CLI, TOTP codes from the real `oathtool`, Debian's chromium driven by
// playwright-core, screenshots kept as artifacts (E2E_ARTIFACTS, default build/e2e-artifacts).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
export const BIN = process.env.GATEHOUSE_BIN ?? join(root, 'build/gatehouse');
export const ARTIFACTS = process.env.E2E_ARTIFACTS ?? join(root, 'build/e2e-artifacts');
export const PASSWORD = 'velvet orbit tangerine ladder';

export function gh(data, args, input) {
  const r = spawnSync(BIN, ['--data', data, ...args], { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gatehouse ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A server on a fresh data dir (serve's extraArgs added); gh(...) runs the CLI on its
 * data dir; stop() ends it (SIGTERM) and requires exit status 0. */
export async function startServer(extraArgs = []) {
  const data = mkdtempSync(join(tmpdir(), 'gh-e2e-'));
  gh(data, ['init']);
  const proc = spawn(BIN, ['--data', data, 'serve', '--listen', '127.0.0.1:0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stderr.on('data', (d) => (log += d));
  const lines = createInterface({ input: proc.stdout });
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no "serving" line\n${log}`)), 30000);
    lines.on('line', (l) => {
      const m = /serving (\S+)/.exec(l);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    proc.on('exit', (code) => fail(new Error(`the server exited (${code})\n${log}`)));
  });
  return {
    url,
    data,
    log: () => log,
    addUser: (name, roles) => gh(data, ['user', 'add', name, '--roles', roles, '--password-stdin'], `${PASSWORD}\n`),
    gh: (...args) => gh(data, args),
    async stop() {
      const done = new Promise((ok) => proc.on('exit', (code, signal) => ok(code ?? signal)));
      proc.kill('SIGTERM');
      const code = await done;
      rmSync(data, { recursive: true, force: true });
      if (code !== 0) throw new Error(`the server exited with ${code}\n${log}`);
    },
  };
}

/** The TOTP code of the key in an otpauth:// URI, at now + offset seconds (oathtool). */
export function totp(uri, offset = 0) {
  const secret = new URL(uri).searchParams.get('secret');
  const now = new Date(Date.now() + offset * 1000).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  const r = spawnSync('oathtool', ['--totp', '-b', `--now=${now}`, secret], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`oathtool: ${r.stderr}`);
  return r.stdout.trim();
}

/** Debian's chromium, headless. Pages of its contexts trust the server's certificate and
 * record any Content-Security-Policy violation (there must be none). */
export async function browser() {
  const b = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  return {
    b,
    async page(theme = 'dark', options = {}) {
      const ctx = await b.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 }, ...options });
      const page = await ctx.newPage();
      page.cspViolations = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) page.cspViolations.push(m.text());
      });
      page.theme = theme;
      return page;
    },
    close: () => b.close(),
  };
}

/** Saves a screenshot of the page in both themes: ARTIFACTS/NAME-dark.png, -light.png. */
export async function screenshots(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const theme of ['dark', 'light']) {
    await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${theme}.png`), fullPage: true });
  }
  await page.evaluate((t) => (document.documentElement.dataset.theme = t), page.theme);
}

/** Registers a server (started with extraArgs) and a browser for the test file:
 * env.server and env.chrome, set before its tests and stopped after them. */
export function serverAndBrowser(extraArgs = []) {
  const env = {};
  before(async () => {
    env.server = await startServer(extraArgs);
    env.chrome = await browser();
  });
  after(async () => {
    await env.chrome?.close();
    await env.server?.stop();
  });
  return env;
}

/** Opens path on the server and signs in with the password form (no MFA step). */
export async function signIn(page, server, name, path = '/', password = PASSWORD) {
  await page.goto(server.url + path);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** A what-if swipe (POST /api/v1/decisions) from the page's session: the decision. */
export function swipe(page, door, card) {
  return page.evaluate(
    async ([id, cardText]) => {
      const csrf = (await (await fetch('/api/v1/auth/session')).json()).csrf_token;
      const r = await fetch('/api/v1/decisions', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ door_id: id, card: cardText }),
      });
      return r.json();
    },
    [door, card],
  );
}
