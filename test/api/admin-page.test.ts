// /hub/admin: admins see every user with server state and image source, and a real browser (Debian's chromium)
// picks a user's image from the catalog, toggles admin and adds users through the page's API calls.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, runningServer, type ApiApp } from '../helpers/api-app.js';
import { launchBrowser } from '../helpers/browser.js';

let t: ApiApp;
let server: ServerType;
let origin: string;
let browser: BrowserContext;

beforeAll(async () => {
  t = createApiApp({
    spawner: { image: 'img/base:1', images: { base: { image: 'img/base:1', description: 'Base' }, gpu: { image: 'img/gpu:1', description: 'CUDA' } } },
    users: { pinned: { image: 'gpu' } },
  });
  t.deps.users.ensure('admin', { admin: true });
  for (const n of ['alice', 'bob', 'pinned']) t.deps.users.ensure(n);
  t.servers.set('alice', runningServer('alice'));
  server = serve({ fetch: t.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  t?.close();
});

async function signInBrowser(user: string): Promise<void> {
  const cookie = await t.signIn(user);
  await browser.clearCookies();
  await browser.addCookies(cookie.split('; ').map((pair) => {
    const i = pair.indexOf('=');
    return { name: pair.slice(0, i), value: pair.slice(i + 1), url: `${origin}/hub/` };
  }));
}

describe('/hub/admin over HTTP', () => {
  it('sends visitors to sign in, refuses non-admins (403), and lists users with server state and image source', async () => {
    const anon = await t.request('/hub/admin');
    expect(anon.status).toBe(302);
    expect(anon.headers.get('location')).toBe('/hub/login?next=%2Fhub%2Fadmin');
    expect((await t.request('/hub/admin', { headers: { Cookie: await t.signIn('bob') } })).status).toBe(403);
    const res = await t.request('/hub/admin', { headers: { Cookie: await t.signIn('admin') } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/<tr data-user="alice">[\s\S]*?running[\s\S]*?base <small>\(default\)/);
    expect(html).toMatch(/<tr data-user="pinned">[\s\S]*?gpu \(pinned in hub.yaml\)/);
  });

  it('lets an API token not stand in for the login cookie', async () => {
    const res = await t.request('/hub/admin', { token: t.tokenFor('admin') });
    expect(res.status).toBe(302);
  });
});

describe('/hub/admin in a browser', () => {
  it('picks a user\'s image from the catalog, toggles admin and adds users', async () => {
    await signInBrowser('admin');
    const page = await browser.newPage();
    await page.goto(`${origin}/hub/admin`);
    await Promise.all([page.waitForEvent('load'), page.getByLabel('Image for alice').selectOption('gpu')]);
    await expect.poll(() => t.deps.users.get('alice')?.adminImage).toBe('gpu');
    await page.waitForLoadState('load');
    expect(await page.locator('tr[data-user="alice"] .image-now').textContent()).toBe('gpu (admin)');

    await Promise.all([page.waitForEvent('load'), page.getByLabel('bob is admin').check()]);
    await expect.poll(() => t.deps.users.get('bob')?.admin).toBe(true);

    await page.getByLabel('User names').fill('newbie1\nnewbie2');
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Add users' }).click()]);
    await expect.poll(() => t.deps.users.get('newbie2')?.addedByAdmin).toBe(true);

    await Promise.all([page.waitForEvent('load'), page.getByLabel('Image for alice').selectOption('')]);
    await expect.poll(() => t.deps.users.get('alice')?.adminImage).toBe(null);
    await page.close();
  });

  it('starts and stops servers, deletes users and manages groups', async () => {
    await signInBrowser('admin');
    const page = await browser.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${origin}/hub/admin`);
    await Promise.all([page.waitForEvent('load'), page.getByLabel("Stop alice's server").click()]);
    expect(t.stopped).toContain('alice');
    expect(await page.locator('tr[data-user="alice"] .status').textContent()).toBe('stopped');
    await Promise.all([page.waitForEvent('load'), page.getByLabel("Start bob's server").click()]);
    expect(await page.locator('tr[data-user="bob"] .status').textContent()).toBe('running');
    t.deps.users.ensure('leaver');
    await page.reload();
    await Promise.all([page.waitForEvent('load'), page.getByLabel('Delete leaver').click()]);
    await expect.poll(() => t.deps.users.get('leaver')).toBeNull();

    await page.getByLabel('New group name').fill('team');
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Create group' }).click()]);
    await page.getByLabel('Member of team').fill('bob');
    await Promise.all([page.waitForEvent('load'), page.locator('button.add-member[data-group="team"]').click()]);
    await expect.poll(() => t.deps.groups.members('team')).toEqual(['bob']);
    expect(await page.locator('tr[data-group="team"] .members').textContent()).toBe('bob');
    await Promise.all([page.waitForEvent('load'), page.getByLabel('Delete group team').click()]);
    await expect.poll(() => t.deps.groups.get('team')).toBeNull();
    await page.close();
  });

  it('shows the API\'s refusal on the page when a change is not allowed', async () => {
    await signInBrowser('admin');
    const page = await browser.newPage();
    await page.goto(`${origin}/hub/admin`);
    // Remove a catalog label between page load and the change: the API answers 400 and the page says so.
    await page.evaluate(() => {
      const select = document.querySelector('select[data-user="bob"]') as HTMLSelectElement;
      const option = document.createElement('option');
      option.value = 'gone';
      select.append(option);
    });
    await page.getByLabel('Image for bob').selectOption('gone');
    await expect.poll(() => page.locator('#result').textContent()).toContain('Error 400');
    expect(t.deps.users.get('bob')?.adminImage).toBe(null);
    await page.close();
  });
});
