// The start of a server as a person sees it, in a real browser (Debian's chromium) against a whole hub: open
// /user/<name>/…, get the "not running" page, launch, watch the progress page, and land on the running server.
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { launchBrowser } from '../helpers/browser.js';
import { sessionCookies } from '../helpers/session-cookies.js';

let t: TestHub;
let browser: BrowserContext;

beforeAll(async () => {
  t = await startTestHub({ spawner: { environment: { BACKEND_DELAY_S: 2 } } });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await t?.cleanup();
});

/** Signs `name` in with a real session and hands the hub's cookies to the browser. */
async function signInBrowser(t: TestHub, name: string): Promise<void> {
  await browser.addCookies((await sessionCookies(t, name)).map((line) => {
    const [pair] = line.split(';');
    const path = /;\s*path=([^;]+)/i.exec(line)?.[1] ?? '/';
    return { name: pair.slice(0, pair.indexOf('=')), value: pair.slice(pair.indexOf('=') + 1), url: `${t.url}${path}` };
  }));
}

describe('starting a server in a browser', () => {
  it('goes from /user/<name>/… through "not running", launch and progress to the running server', async () => {
    await signInBrowser(t, 'alice');
    const page = await browser.newPage();
    const first = await page.goto(`${t.url}/user/alice/tree`);
    expect(first?.status()).toBe(424);
    expect(page.url()).toBe(`${t.url}/hub/user/alice/tree`);
    await page.click('#start');
    await page.waitForURL(`${t.url}/hub/spawn-pending/alice?next=${encodeURIComponent('/user/alice/tree')}`);
    await page.waitForURL(`${t.url}/user/alice/tree`, { timeout: 30_000 });
    const body = JSON.parse(await page.locator('body').innerText()) as { path: string };
    expect(body.path).toBe('/user/alice/tree');
    expect(t.hub.servers.get('alice')!.ready).toBe(true);
    await page.close();
  });
});

describe('a start that fails while the progress page is open', () => {
  it('shows the reason and a way to try again', async () => {
    const slow = await startTestHub({ spawner: { environment: { BACKEND_DELAY_S: 60 }, http_timeout: 3 } });
    try {
      await signInBrowser(slow, 'bob');
      const page = await browser.newPage();
      await page.goto(`${slow.url}/hub/spawn`);
      await page.click('#start');
      await page.waitForURL(`${slow.url}/hub/spawn-pending/bob`);
      await page.locator('#failed').waitFor({ state: 'visible', timeout: 30_000 });
      expect(await page.locator('#failed').innerText()).toContain('Spawn failed: The server did not answer HTTP at /user/bob/api within spawner.http_timeout (3 s');
      expect(await page.locator('#retry').isVisible()).toBe(true);
      expect(await page.locator('#progress-log li').count()).toBeGreaterThanOrEqual(4);
      await page.close();
    } finally {
      await slow.cleanup();
    }
  });
});
