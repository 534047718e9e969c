// budget.test.mjs: the console's initial load stays within its budget: at most 300 KB of
// JavaScript, gzip-compressed, counting every script the browser fetches to show the
// sign-in page (measured from the browser's own requests, so lazy chunks it needs count).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { serverAndBrowser } from './harness.mjs';

const env = serverAndBrowser();
const BUDGET = 300 * 1024;

test('initial load: at most 300 KB of compressed JavaScript', async () => {
  const page = await env.chrome.page();
  const scripts = [];
  page.on('response', async (r) => {
    if (r.request().resourceType() === 'script') scripts.push(r.body().then((b) => gzipSync(b, { level: 9 }).length));
  });
  await page.goto(env.server.url + '/', { waitUntil: 'networkidle' });
  await page.getByRole('heading', { name: 'Sign in to gatehouse' }).waitFor();
  const sizes = await Promise.all(scripts);
  const total = sizes.reduce((a, b) => a + b, 0);
  console.log(`console initial load: ${sizes.length} scripts, ${total} bytes gzip (budget ${BUDGET})`);
  assert.ok(sizes.length > 0);
  assert.ok(total <= BUDGET, `${total} bytes of compressed JavaScript > ${BUDGET}`);
});
