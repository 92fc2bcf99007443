// A real browser (Debian's chromium driven by playwright-core) clicks "Sign in with GitHub" against the local
// GitHub stand-in and lands signed in on /hub/home; then signs out.
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { launchBrowser } from '../helpers/browser.js';
import { freePort } from '../helpers/free-port.js';

let gh: FakeGithub;
let t: TestHub;
let browser: BrowserContext;


beforeAll(async () => {
  gh = await startFakeGithub({ clientId: 'cid', clientSecret: 'csecret', login: 'Alice' });
  t = await startTestHub({
    hub: { bind: `127.0.0.1:${await freePort()}` },
    auth: { allowed_users: ['alice'], github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl } },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await t?.cleanup();
  await gh?.close();
});

describe('browser sign-in', () => {
  it('clicks "Sign in with GitHub" and lands signed in on /hub/home, with the login cookie out of reach of scripts', async () => {
    const page = await browser.newPage();
    await page.goto(`${t.url}/hub/`);
    expect(new URL(page.url()).pathname).toBe('/hub/login');
    await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await page.waitForURL(`${t.url}/hub/home`);
    expect(await page.locator('#signed-in-user').textContent()).toBe('alice');
    expect(await page.evaluate(() => document.cookie)).not.toContain('jupyterhub-hub-login');
    const cookies = await browser.cookies(`${t.url}/hub/`);
    expect(cookies.find((c) => c.name === 'jupyterhub-hub-login')).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/hub/' });

    await page.locator('#logout').click();
    await page.waitForURL(/\/hub\/login$/);
    await page.goto(`${t.url}/hub/home`);
    expect(new URL(page.url()).pathname).toBe('/hub/login');
  });
});
