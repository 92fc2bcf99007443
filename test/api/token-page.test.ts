// /hub/token in a real browser (Debian's chromium): a signed-in user requests a token (shown once), uses it,
// sees a refusal for scopes above their own, and revokes it.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';
import { launchBrowser } from '../helpers/browser.js';

let t: ApiApp;
let server: ServerType;
let origin: string;
let browser: BrowserContext;

beforeAll(async () => {
  t = createApiApp();
  server = serve({ fetch: t.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
  const cookie = await t.signIn('alice');
  await browser.addCookies(cookie.split('; ').map((pair) => {
    const i = pair.indexOf('=');
    return { name: pair.slice(0, i), value: pair.slice(i + 1), url: `${origin}/hub/` };
  }));
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await t?.close();
});

describe('/hub/token', () => {
  it('sends visitors to sign in', async () => {
    const res = await t.request('/hub/token');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/hub/login?next=%2Fhub%2Ftoken');
  });

  it('requests a token that is shown once and works, refuses scopes above the user\'s, and revokes', async () => {
    const page = await browser.newPage();
    await page.goto(`${origin}/hub/token`);
    await page.getByLabel('Note').fill('laptop');
    await page.getByLabel('Expires in').selectOption('86400');
    await page.getByLabel('Scopes').fill('read:users!user read:servers!user');
    await page.getByRole('button', { name: 'Request new API token' }).click();
    await page.locator('#new-token-value').waitFor({ state: 'visible' });
    const token = (await page.locator('#token').textContent())!;
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    const me = await (await t.request('/hub/api/user', { token })).json();
    expect(me.scopes).toContain('read:servers!user=alice');
    expect(me.scopes).not.toContain('servers!user=alice');

    await page.getByLabel('Scopes').fill('admin:users');
    await page.getByRole('button', { name: 'Request new API token' }).click();
    await expect.poll(() => page.locator('#result').textContent()).toContain('Error 400');

    await page.reload();
    const row = page.locator('tr', { hasText: 'laptop' });
    expect(await row.textContent()).toContain('read:servers!user=alice');
    expect(await page.content()).not.toContain(token);
    await Promise.all([page.waitForEvent('load'), page.getByLabel('Revoke laptop').click()]);
    expect((await t.request('/hub/api/user', { token })).status).toBe(403);
    expect(await page.locator('tr', { hasText: 'laptop' }).count()).toBe(0);
    await page.close();
  });
});
