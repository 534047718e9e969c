// layout.test.mjs: the console on a tablet and from the keyboard. Every page, at a tablet's
// size (820x1180, touch), fits the width of the screen (wide tables scroll inside their
// own box, the page does not), with screenshots. From the keyboard alone: the skip link
// comes first, sign-in works with Tab and Enter, and a lockdown confirmation opens with
// the focus on its button and closes with Escape, changing nothing, the focus back on the
// button that opened it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PASSWORD, screenshots, serverAndBrowser, signIn } from './harness.mjs';

const env = serverAndBrowser(['--set', 'mfa.required_roles=']);
const PAGES = ['/', '/monitor', '/incidents', '/investigate', '/people', '/doors', '/devices', '/sites', '/schedules', '/levels', '/directory', '/drills', '/users', '/audit', '/account'];

test('every page fits a tablet screen', async () => {
  env.server.gh('sim', '--people', '20', '--seed', '8', '--no-scenarios');
  env.server.addUser('tess', 'admin');
  const page = await env.chrome.page('dark', { viewport: { width: 820, height: 1180 }, hasTouch: true, isMobile: true });
  await signIn(page, env.server, 'tess');
  await page.getByRole('heading', { name: 'Welcome, tess' }).waitFor();
  const wide = [];
  for (const path of PAGES) {
    await page.goto(env.server.url + path);
    await page.locator('main h1').first().waitFor();
    await page.waitForFunction(() => !document.querySelector('main [role=status].state'));
    const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    if (scroll > width) wide.push(`${path}: ${scroll}px wide on a ${width}px screen`);
    await screenshots(page, `tablet${path === '/' ? '-overview' : path.replace(/\//g, '-')}`);
  }
  assert.deepEqual(wide, []);
});

// The dialog moves the focus after it has been painted, and gives it back after it has
// gone: wait for that, then say what has the focus if it never came.
async function focusIs(page, text) {
  const has = () => page.evaluate(() => document.activeElement?.textContent);
  try {
    await page.waitForFunction((want) => document.activeElement?.textContent === want, text, { timeout: 5000 });
  } catch {
    assert.equal(await has(), text);
  }
}

test('sign-in and a lockdown confirmation from the keyboard alone', async () => {
  env.server.addUser('kim', 'security_operator');
  const page = await env.chrome.page();
  await page.goto(env.server.url + '/monitor');
  await page.getByRole('heading', { name: 'Sign in to gatehouse' }).waitFor();
  await page.getByLabel('Name').focus();
  await page.keyboard.type('kim');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Monitor' }).waitFor();

  // the first Tab reaches the skip link, which moves the focus to the content
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');

  // a lockdown asked for from the keyboard: the focus is on the dialog's button; Escape
  // closes it and nothing is locked down
  const area = (await page.evaluate(async () => (await (await fetch('/api/v1/areas?limit=1')).json()).items))[0];
  await page.getByRole('button', { name: `Lock down ${area.name}` }).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('alertdialog');
  await dialog.waitFor();
  await focusIs(page, 'Lock down');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  await focusIs(page, `Lock down ${area.name}`);
  const now = await page.evaluate(async (id) => (await (await fetch(`/api/v1/areas/${id}`)).json()).locked_down, area.id);
  assert.equal(now, false);
});
