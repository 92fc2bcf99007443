// /hub/admin: admins see users a page at a time (offset, limit, name_filter) with server state and image source, and
// a real browser (Debian's chromium) picks a user's image from the catalog, toggles admin and adds users through the
// page's API calls, on the first page and beyond it.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';
import { launchBrowser } from '../helpers/browser.js';

let t: ApiApp;
let server: ServerType;
let origin: string;
let browser: BrowserContext;

// A fresh app per test (the tests stop alice's server, make bob admin, pick images): only the browser is shared.
beforeAll(async () => {
  browser = await launchBrowser();
});
beforeEach(async () => {
  t = createApiApp({
    spawner: { image: 'img/base:1', images: { base: { image: 'img/base:1', description: 'Base' }, gpu: { image: 'img/gpu:1', description: 'CUDA' } } },
    users: { pinned: { image: 'gpu' } },
  });
  t.deps.users.ensure('admin', { admin: true });
  for (const n of ['alice', 'bob', 'pinned']) t.deps.users.ensure(n);
  await t.startServer('alice');
  server = serve({ fetch: t.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await t?.close();
});
afterAll(async () => {
  await browser?.close();
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
    const row = (name: string) => html.match(new RegExp(`<tr data-user="${name}">([\\s\\S]*?)</tr>`))?.[1] ?? '';
    expect(row('alice')).toMatch(/status">running<[\s\S]*?data-next-image="">base \(default\)</);
    expect(row('pinned')).toMatch(/data-next-image="">gpu \(pinned in hub.yaml\)</);
    expect(row('pinned')).not.toContain('<select');
  });

  it('shows as next image the entry a user picked that only their group may use, as the REST API and a start do', async () => {
    const g = createApiApp({
      spawner: { image: 'img/base:1', images: { base: { image: 'img/base:1' }, gpu: { image: 'img/gpu:1', groups: ['gpu-users'] } } },
    });
    try {
      g.deps.users.ensure('admin', { admin: true });
      const carol = g.deps.users.ensure('carol');
      g.deps.groups.addMembers(g.deps.groups.create('gpu-users')!.id, [carol.id]);
      g.deps.users.update('carol', { userImage: 'gpu' });
      const html = await (await g.request('/hub/admin', { headers: { Cookie: await g.signIn('admin') } })).text();
      const row = html.match(/<tr data-user="carol">([\s\S]*?)<\/tr>/)?.[1] ?? '';
      expect(row).toContain('data-next-image="">gpu (user&#39;s pick)<');
      const model = await (await g.request('/hub/api/users/carol', { token: g.tokenFor('admin') })).json() as { image: unknown };
      expect(model.image).toEqual({ label: 'gpu', source: 'user' });
    } finally {
      await g.close();
    }
  });

  it('lets an API token not stand in for the login cookie', async () => {
    const res = await t.request('/hub/admin', { token: t.tokenFor('admin') });
    expect(res.status).toBe(302);
  });
});

describe('/hub/admin pages through many users', () => {
  let many: ApiApp;
  let cookie: string;
  const names = (html: string) => [...html.matchAll(/<tr data-user="([^"]+)">/g)].map((m) => m[1]);
  const link = (html: string, rel: string) => [...html.matchAll(/<a class="page-link" href="([^"]+)" rel="([^"]+)">/g)].find((m) => m[2] === rel)?.[1]?.replace(/&amp;|&#38;/g, '&');
  const admin = async (query = '') => {
    const res = await many.request(`/hub/admin${query}`, { headers: { Cookie: cookie } });
    return { status: res.status, html: await res.text() };
  };

  beforeAll(async () => {
    many = createApiApp({ spawner: { image: 'img/base:1', images: { base: { image: 'img/base:1', description: 'Base' }, gpu: { image: 'img/gpu:1', description: 'CUDA' } } } });
    many.deps.users.ensure('admin', { admin: true });
    many.deps.users.createMany(Array.from({ length: 120 }, (_, i) => `u${String(i + 1).padStart(3, '0')}`));
    await many.startServer('u120');
    cookie = await many.signIn('admin');
  });
  afterAll(() => many?.close());

  it('shows 50 users per page and reaches a user beyond the first page through the Next and Last links', async () => {
    const first = await admin();
    expect(first.status).toBe(200);
    expect(names(first.html)).toHaveLength(50);
    expect(names(first.html)[0]).toBe('admin');
    expect(names(first.html)).not.toContain('u120');
    expect(first.html).toContain('Users 1–50 of 121');
    expect(link(first.html, 'prev')).toBeUndefined();

    const second = await admin(link(first.html, 'next')!.replace('/hub/admin', ''));
    expect(names(second.html)).toEqual(Array.from({ length: 50 }, (_, i) => `u${String(i + 50).padStart(3, '0')}`));
    expect(link(second.html, 'prev')).toBe('/hub/admin?offset=0&limit=50');

    const last = await admin(link(first.html, 'last')!.replace('/hub/admin', ''));
    expect(names(last.html)).toEqual(Array.from({ length: 21 }, (_, i) => `u${100 + i}`));
    expect(last.html).toMatch(/<tr data-user="u120">[\s\S]*?running/);
    expect(link(last.html, 'next')).toBeUndefined();
  });

  it('filters by part of a name, and pages within the filter', async () => {
    const found = await admin('?name_filter=U12');
    expect(names(found.html)).toEqual(['u120']);
    expect(found.html).toContain('Users 1–1 of 1 matching “u12”');
    const paged = await admin('?name_filter=u1&limit=10&offset=10');
    expect(names(paged.html)).toEqual(['u110', 'u111', 'u112', 'u113', 'u114', 'u115', 'u116', 'u117', 'u118', 'u119']);
    expect(link(paged.html, 'next')).toBe('/hub/admin?offset=20&limit=10&name_filter=u1');
    expect((await admin('?name_filter=nobody')).html).toContain('No users matching “nobody”');
  });

  it('refuses an offset or limit that is not an integer (400 naming it) and clamps out-of-range ones as the REST API does', async () => {
    const bad = await admin('?offset=abc');
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('offset must be an integer, got &quot;abc&quot;');
    expect((await admin('?limit=1.5')).status).toBe(400);
    const negative = await admin('?offset=-5&limit=0');
    expect(names(negative.html)).toEqual(['admin']);
    expect((await admin('?limit=100000')).html).toContain('Users 1–121 of 121');
    const beyond = await admin('?offset=5000');
    expect(beyond.status).toBe(200);
    expect(names(beyond.html)).toEqual([]);
    expect(beyond.html).toContain('No users on this page: 121 users in all');
    expect(link(beyond.html, 'prev')).toBe('/hub/admin?offset=100&limit=50');
  });

  it('sends a visitor to sign in with the page they asked for as next', async () => {
    const res = await many.request('/hub/admin?offset=50&name_filter=u');
    expect(res.headers.get('location')).toBe(`/hub/login?next=${encodeURIComponent('/hub/admin?offset=50&name_filter=u')}`);
  });
});

describe('/hub/admin at 10,000 users', () => {
  let big: ApiApp;
  let cookie: string;
  const names = (html: string) => [...html.matchAll(/<tr data-user="([^"]+)">/g)].map((m) => m[1]);
  const links = (html: string) => Object.fromEntries([...html.matchAll(/<a class="page-link" href="([^"]+)" rel="([^"]+)">/g)].map((m) => [m[2], m[1]!.replace(/&amp;/g, '&')]));
  const admin = async (query = '') => {
    const res = await big.request(`/hub/admin${query}`, { headers: { Cookie: cookie } });
    return { status: res.status, html: await res.text() };
  };
  const user = (i: number) => `user${String(i).padStart(5, '0')}`;

  beforeAll(async () => {
    big = createApiApp({ spawner: { allow_named_servers: true } });
    big.deps.users.ensure('admin', { admin: true });
    big.deps.users.createMany(Array.from({ length: 10_000 }, (_, i) => user(i + 1)));
    await big.startServer('user09999');
    await big.hub.servers.start('user05001', {}, { server: 'work' });
    cookie = await big.signIn('admin');
  }, 120_000);
  afterAll(() => big?.close());

  it('renders only the 50 users of the page, with pagination links to the first, previous, next and last pages', async () => {
    const first = await admin();
    expect(names(first.html)).toEqual(['admin', ...Array.from({ length: 49 }, (_, i) => user(i + 1))]);
    expect(first.html).toContain('Users 1–50 of 10,001');
    expect(links(first.html)).toEqual({ next: '/hub/admin?offset=50&limit=50', last: '/hub/admin?offset=10000&limit=50' });
    const deep = await admin('?offset=5000');
    expect(names(deep.html)).toHaveLength(50);
    expect(names(deep.html)[0]).toBe(user(5000));
    expect(links(deep.html)).toEqual({
      first: '/hub/admin?offset=0&limit=50', prev: '/hub/admin?offset=4950&limit=50',
      next: '/hub/admin?offset=5050&limit=50', last: '/hub/admin?offset=10000&limit=50',
    });
    // A named server of a user on the page is shown with the default one.
    expect(deep.html).toMatch(/<tr data-user="user05001">[\s\S]*?<div[^>]*data-server="work" data-state="running"/);
    const last = await admin('?offset=10000');
    expect(names(last.html)).toEqual([user(10000)]);
  });

  it('sorts on the server, keeping the sort and the filter in the pagination links', async () => {
    const running = await admin('?sort=running');
    expect(names(running.html).slice(0, 2)).toEqual(['user05001', 'user09999']);
    expect(running.html).toMatch(/<option value="running" selected="">Running first<\/option>/);
    expect(links(running.html).next).toBe('/hub/admin?offset=50&limit=50&sort=running');
    const byName = await admin('?sort=name&name_filter=user0999&limit=5');
    expect(names(byName.html)).toEqual(['user09990', 'user09991', 'user09992', 'user09993', 'user09994']);
    expect(links(byName.html).next).toBe('/hub/admin?offset=5&limit=5&name_filter=user0999&sort=name');
    expect(names((await admin('?sort=admin&limit=1')).html)).toEqual(['admin']);
    expect(names((await admin('?sort=last_activity&limit=1')).html)).toEqual(['user09999']);
  });

  // The page's controls that repeat (image options, Edit / Delete, the controls of other states) are sent once, so a
  // page grows by a row's data only; the old string-template page was 40 KB for 50 users, a row 400–450 bytes.
  it('stays within a byte budget: about 600 bytes per user row and under 40 KB for 50 users', async () => {
    const one = (await admin('?limit=1')).html.length;
    const fifty = (await admin('?limit=50')).html.length;
    expect((fifty - one) / 49).toBeLessThan(600);
    expect(fifty).toBeLessThan(40_000);
  });

  it('refuses an unknown sort with a 400 that lists the sorts', async () => {
    const bad = await admin('?sort=password');
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('sort must be one of id, name, admin, last_activity, running, got &quot;password&quot;');
  });
});

describe('/hub/admin in a browser', () => {
  it('picks a user\'s image from the catalog, makes a user admin through Edit and adds users', async () => {
    await signInBrowser('admin');
    const page = await browser.newPage();
    await page.goto(`${origin}/hub/admin`);
    await Promise.all([page.waitForEvent('load'), page.getByLabel('Image for alice').selectOption('gpu')]);
    await expect.poll(() => t.deps.users.get('alice')?.adminImage).toBe('gpu');
    await page.waitForLoadState('load');
    expect(await page.locator('tr[data-user="alice"] [data-next-image]').textContent()).toBe("gpu (admin's pick)");

    await page.getByLabel('Edit bob').click();
    await page.getByLabel('Admin', { exact: true }).check();
    await Promise.all([page.waitForEvent('load'), page.locator('#edit-save').click()]);
    await expect.poll(() => t.deps.users.get('bob')?.admin).toBe(true);
    expect(await page.locator('tr[data-user="bob"] [data-admin]').textContent()).toBe('admin');

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
    await page.goto(`${origin}/hub/admin`);
    await page.getByLabel("Stop alice's server").click();
    await expect.poll(() => t.hub.servers.get('alice')?.status).toBe('stopped');
    await expect.poll(() => page.locator('tr[data-user="alice"] .status').textContent()).toBe('stopped');
    await page.getByLabel("Start bob's server").click();
    await expect.poll(() => page.locator('tr[data-user="bob"] .status').textContent()).toBe('running');
    expect(t.hub.servers.get('bob')?.status).toBe('running');
    t.deps.users.ensure('leaver');
    await page.reload();
    await page.getByLabel('Delete leaver').click();
    expect(await page.locator('#confirm-text').textContent()).toContain('Delete user leaver?');
    await Promise.all([page.waitForEvent('load'), page.locator('#confirm-ok').click()]);
    await expect.poll(() => t.deps.users.get('leaver')).toBeNull();

    await page.getByLabel('New group name').fill('team');
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Create group' }).click()]);
    await page.getByLabel('Add a member to team').fill('bob');
    await Promise.all([page.waitForEvent('load'), page.locator('tr[data-group="team"] form[data-action="add-member"] button').click()]);
    await expect.poll(() => t.deps.groups.members('team')).toEqual(['bob']);
    expect(await page.locator('tr[data-group="team"] .members [data-member]').evaluateAll((els) => els.map((e) => e.getAttribute('data-member')))).toEqual(['bob']);
    await page.getByLabel('Delete group team').click();
    await Promise.all([page.waitForEvent('load'), page.locator('#confirm-ok').click()]);
    await expect.poll(() => t.deps.groups.get('team')).toBeNull();
    await page.close();
  });

  it('shows the API\'s refusal on the page when a change is not allowed', async () => {
    await signInBrowser('admin');
    const page = await browser.newPage();
    await page.goto(`${origin}/hub/admin`);
    // Remove a catalog label between page load and the change: the API answers 400 and the page says so.
    await page.evaluate(() => {
      const select = document.querySelector('tr[data-user="bob"] select') as HTMLSelectElement;
      const option = document.createElement('option');
      option.value = 'gone';
      select.append(option);
    });
    await page.getByLabel('Image for bob').selectOption('gone');
    await expect.poll(() => page.locator('#result').textContent()).toContain('Error 400');
    expect(t.deps.users.get('bob')?.adminImage).toBe(null);
    await page.close();
  });

  it('keeps working beyond the first page: Next, an image picked there, and the name filter', async () => {
    await signInBrowser('admin');
    const page = await browser.newPage();
    await page.goto(`${origin}/hub/admin?limit=2`);
    expect(await page.locator('tr[data-user]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-user')))).toEqual(['admin', 'alice']);
    await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Next' }).click()]);
    expect(new URL(page.url()).searchParams.get('offset')).toBe('2');
    await Promise.all([page.waitForEvent('load'), page.getByLabel('Image for bob').selectOption('gpu')]);
    await expect.poll(() => t.deps.users.get('bob')?.adminImage).toBe('gpu');
    await page.waitForLoadState('load');
    expect(new URL(page.url()).searchParams.get('offset')).toBe('2');
    expect(await page.locator('tr[data-user="bob"] [data-next-image]').textContent()).toBe("gpu (admin's pick)");
    t.deps.users.update('bob', { adminImage: null });

    await page.getByLabel('Filter users by name').fill('PIN');
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Filter' }).click()]);
    expect(await page.locator('tr[data-user]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-user')))).toEqual(['pinned']);
    expect(await page.locator('#paging').textContent()).toBe('Users 1–1 of 1 matching “pin”');
    await page.close();
  });

  it('opens another user\'s server only with hub.admin_access, and says why it is not offered otherwise', async () => {
    await signInBrowser('admin');
    const page = await browser.newPage();
    await page.goto(`${origin}/hub/admin`);
    expect(await page.getByLabel("Open alice's server").count()).toBe(0);
    expect(await page.locator('#open-off').innerText()).toContain('hub.admin_access: false');
    await page.close();

    const open = createApiApp({ hub: { admin_access: true } });
    try {
      open.deps.users.ensure('admin', { admin: true });
      await open.startServer('alice');
      const html = await (await open.request('/hub/admin', { headers: { Cookie: await open.signIn('admin') } })).text();
      expect(html).toMatch(/<a class="btn btn-outline-primary" href="\/user\/alice\/"[^>]*aria-label="Open alice&#39;s server">Open<\/a>/);
      expect(html).not.toContain('id="open-off"');
    } finally {
      await open.close();
    }
  });

  it('shuts the hub down after a confirmation, and not on Cancel', async () => {
    await signInBrowser('admin');
    const page = await browser.newPage();
    await page.goto(`${origin}/hub/admin`);
    let stopped = false;
    void t.hub.closed.then(() => { stopped = true; });
    await page.getByRole('button', { name: 'Shutdown hub' }).click();
    expect(await page.locator('#confirm-text').innerText()).toContain('Shut the hub down?');
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.locator('#confirm').isVisible()).toBe(false);
    expect(await page.locator('#result').innerText()).toBe('');
    expect(stopped).toBe(false);
    await page.getByRole('button', { name: 'Shutdown hub' }).click();
    await page.locator('#confirm-ok').click();
    await expect.poll(() => page.locator('#result').innerText()).toBe('The hub is shutting down.');
    await t.hub.closed;
    expect(stopped).toBe(true);
    await page.close();
  });
});
