// The admin page as an admin uses it, in Debian's chromium against a whole hub with real containers
// (berth/backend:test) and the stand-in GitHub: add users (each bad name refused on its own), pin an image and see
// the running image apart from the next one, start and stop another user's servers (named ones too) with the page
// following by itself, Start all / Stop all with the count, rename, delete, groups, hostile text shown as text, and
// no serious accessibility problem at desktop and phone widths.
import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { launchBrowser, signInWithGithub } from '../helpers/browser.js';
import { freePort } from '../helpers/free-port.js';
import { checkPage } from '../helpers/page-checks.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { waitFor } from '../helpers/wait-for.js';

const run = randomBytes(4).toString('hex');
const XSS = `<img src=x onerror="window.__xss=1">`;
/** The same, with no space: the Add users box splits names at spaces. */
const XSS_NAME = '<svg/onload=window.__xss=1>';

let gh: FakeGithub;
let t: TestHub;
let browser: BrowserContext;
let page: Page;

beforeAll(async () => {
  gh = await startFakeGithub({ clientId: 'cid', clientSecret: 'csecret' });
  t = await startTestHub({
    hub: { bind: `127.0.0.1:${await freePort()}` },
    auth: { admin_users: ['admin'], github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl } },
    spawner: {
      allow_named_servers: true,
      volumes: { [`berth-admin-${run}-{username}`]: '/home/work' },
      images: {
        base: { image: 'berth/backend:test', description: 'The test backend' },
        other: { image: 'berth/backend:test', description: 'The same backend under another name' },
      },
    },
  });
  for (const name of ['bob', 'ren', 'leaver', 'nina', 'ally', 'crew1', 'crew2', 'crew3']) t.users.ensure(name);
  browser = await launchBrowser();
  page = await browser.newPage();
  gh.login = 'admin';
  await signInWithGithub(page, t.url);
});

afterAll(async () => {
  await browser?.close();
  await t?.cleanup();
  await gh?.close();
});

const row = (name: string) => page.locator(`tr[data-user="${name}"]`);
const line = (user: string, server = '') => row(user).locator(`div[data-server="${server}"]`);
const stateOf = (user: string, server = '') => line(user, server).getAttribute('data-state');
const admin = async (query = '') => {
  await page.goto(`${t.url}/hub/admin${query}`);
};

describe('users', () => {
  it('adds several users at once, refusing each bad or taken name on its own, and as admins when asked', async () => {
    await admin();
    await page.getByLabel('User names').fill(`carol, Dave\nbob\n${XSS_NAME}`);
    await page.getByRole('button', { name: 'Add users' }).click();
    await waitFor(() => expect(page.locator('#add-results li').count()).resolves.toBe(4));
    const results = await page.locator('#add-results li').allInnerTexts();
    expect(results[0]).toBe('carol: added');
    expect(results[1]).toBe('dave: added');
    expect(results[2]).toBe('bob: User bob already exists');
    // The payload is shown as text (lower-cased, as names are), never run.
    expect(results[3]).toBe(`${XSS_NAME}: Invalid username: ${XSS_NAME} (a user name is 1-100 characters of a-z, 0-9, "_", ".", "@" or "-", starting with a letter, digit or "_")`);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.getByLabel('User names').inputValue()).toBe(`bob\n${XSS_NAME}`);
    expect(t.users.get('carol')).toMatchObject({ admin: false, addedByAdmin: true });
    expect(t.users.get('dave')).not.toBeNull();

    await page.getByLabel('User names').fill('frank');
    await page.getByLabel('Make them admins').check();
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Add users' }).click()]);
    expect(t.users.get('frank')?.admin).toBe(true);
    expect(await row('frank').locator('[data-admin]').innerText()).toBe('admin');
  });

  it('renames a user and sets admin through Edit, and says why a rename is refused', async () => {
    await admin();
    await row('ren').getByRole('button', { name: 'Edit ren' }).click();
    await page.getByLabel('Name', { exact: true }).fill('renamed');
    await page.getByLabel('Admin', { exact: true }).check();
    await Promise.all([page.waitForEvent('load'), page.locator('#edit-save').click()]);
    expect(t.users.get('ren')).toBeNull();
    expect(t.users.get('renamed')?.admin).toBe(true);

    await row('renamed').getByRole('button', { name: 'Edit renamed' }).click();
    await page.getByLabel('Name', { exact: true }).fill('bob');
    await page.locator('#edit-save').click();
    await waitFor(() => expect(page.locator('#edit-error').innerText()).resolves.toContain('User bob already exists'));
    expect(await page.locator('#edit-user').isVisible()).toBe(true);
    await page.locator('#edit-user').getByRole('button', { name: 'Cancel' }).click();
    expect(t.users.get('renamed')).not.toBeNull();
  });

  it('deletes a user after a confirmation naming them, and not on Cancel, keeping their volume', async () => {
    await t.hub.servers.start('leaver', {}, {});
    await t.hub.servers.stop('leaver');
    const slug = t.users.get('leaver')!.slug;
    const volume = t.docker.getVolume(`berth-admin-${run}-${slug}`);
    expect((await volume.inspect()).Name).toBe(`berth-admin-${run}-${slug}`);
    await admin();
    await row('leaver').getByRole('button', { name: 'Delete leaver' }).click();
    expect(await page.locator('#confirm-text').innerText()).toBe('Delete user leaver? Their servers must be stopped; their volumes are kept.');
    await page.locator('#confirm').getByRole('button', { name: 'Cancel' }).click();
    expect(t.users.get('leaver')).not.toBeNull();
    await row('leaver').getByRole('button', { name: 'Delete leaver' }).click();
    await Promise.all([page.waitForEvent('load'), page.locator('#confirm-ok').click()]);
    expect(t.users.get('leaver')).toBeNull();
    expect(await row('leaver').count()).toBe(0);
    expect((await volume.inspect()).Name).toBe(`berth-admin-${run}-${slug}`);
  });
});

describe("another user's servers", () => {
  it('starts and stops a server, shows the image it runs apart from the pinned next one, following the state without a reload', async () => {
    await admin();
    await page.evaluate(() => { (window as unknown as { sameDocument: boolean }).sameDocument = true; });
    await row('bob').getByRole('button', { name: "Start bob's server" }).click();
    await waitFor(() => expect(stateOf('bob')).resolves.toBe('running'), { timeoutMs: 60_000 });
    expect(t.hub.servers.get('bob')).toMatchObject({ ready: true, imageLabel: 'base' });
    expect(await line('bob').locator('[data-running]').innerText()).toBe('base');
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);

    // Pin another image: the next start gets it, the running server keeps its own.
    await Promise.all([page.waitForEvent('load'), page.getByLabel('Image for bob').selectOption('other')]);
    expect(t.users.get('bob')?.adminImage).toBe('other');
    expect(await line('bob').locator('[data-running]').innerText()).toBe('base');
    expect(await row('bob').locator('[data-next-image]').innerText()).toBe("other (admin's pick)");

    await row('bob').getByRole('button', { name: "Stop bob's server" }).click();
    await waitFor(() => expect(stateOf('bob')).resolves.toBe('stopped'), { timeoutMs: 30_000 });
    expect(t.hub.servers.get('bob')?.status).toBe('stopped');
    expect(await line('bob').locator('[data-running]').isVisible()).toBe(false);
    expect(await row('bob').getByRole('button', { name: "Start bob's server" }).isVisible()).toBe(true);

    await row('bob').getByRole('button', { name: "Start bob's server" }).click();
    await waitFor(() => expect(stateOf('bob')).resolves.toBe('running'), { timeoutMs: 60_000 });
    expect(t.hub.servers.get('bob')?.imageLabel).toBe('other');
    await page.reload();
    expect(await line('bob').locator('[data-running]').innerText()).toBe('other');
    // hub.admin_access is off: no Open, and the page says why.
    expect(await row('bob').getByRole('link', { name: "Open bob's server" }).count()).toBe(0);
    expect(await page.locator('#open-off').isVisible()).toBe(true);
    await t.hub.servers.stop('bob');
  });

  it("lists a user's named server beside the default one and stops it", async () => {
    await t.hub.servers.start('nina', {}, { server: 'work' });
    await admin('?name_filter=nina');
    expect(await stateOf('nina', 'work')).toBe('running');
    expect(await stateOf('nina')).toBe('stopped');
    await row('nina').getByRole('button', { name: "Stop nina's server work" }).click();
    await waitFor(() => expect(stateOf('nina', 'work')).resolves.toBe('stopped'), { timeoutMs: 30_000 });
    expect(t.hub.servers.get('nina', 'work')?.status).toBe('stopped');
  });

  it('starts all and stops all servers of the page after a confirmation with the count', async () => {
    await admin('?name_filter=crew');
    await page.getByRole('button', { name: 'Start all', exact: true }).click();
    expect(await page.locator('#confirm-text').innerText()).toBe('Start the 3 stopped default server(s) of the users on this page?');
    await page.locator('#confirm').getByRole('button', { name: 'Cancel' }).click();
    expect(t.hub.servers.get('crew1')?.status).toBe('stopped');

    await page.getByRole('button', { name: 'Start all', exact: true }).click();
    await page.getByRole('button', { name: 'Start 3' }).click();
    for (const user of ['crew1', 'crew2', 'crew3']) await waitFor(() => expect(stateOf(user)).resolves.toBe('running'), { timeoutMs: 60_000 });
    expect(['crew1', 'crew2', 'crew3'].map((u) => t.hub.servers.get(u)?.ready)).toEqual([true, true, true]);
    // Users off the page are left alone.
    expect(t.hub.servers.get('bob')?.status).toBe('stopped');

    await page.getByRole('button', { name: 'Stop all', exact: true }).click();
    expect(await page.locator('#confirm-text').innerText()).toBe('Stop the 3 running server(s) on this page, named ones included?');
    await page.getByRole('button', { name: 'Stop 3' }).click();
    for (const user of ['crew1', 'crew2', 'crew3']) await waitFor(() => expect(stateOf(user)).resolves.toBe('stopped'), { timeoutMs: 30_000 });
    expect(['crew1', 'crew2', 'crew3'].map((u) => t.hub.servers.get(u)?.status)).toEqual(['stopped', 'stopped', 'stopped']);
  });
});

describe('groups', () => {
  it('creates a group, adds and removes members, keeps JSON properties as text and refuses bad ones', async () => {
    await admin();
    await page.getByLabel('New group name').fill(XSS);
    await page.getByRole('button', { name: 'Create group' }).click();
    await waitFor(() => expect(page.locator('#result').innerText()).resolves.toContain(`Invalid group name: ${JSON.stringify(XSS)}`));

    await page.getByLabel('New group name').fill('team');
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Create group' }).click()]);
    await page.getByLabel('Add a member to team').fill('bob');
    await Promise.all([page.waitForEvent('load'), page.locator('tr[data-group="team"]').getByRole('button', { name: 'Add', exact: true }).click()]);
    expect(t.hub.stores.groups.members('team')).toEqual(['bob']);

    const properties = page.getByLabel('Properties of team (JSON)');
    await properties.fill('{"motto": oops}');
    await page.locator('tr[data-group="team"]').getByRole('button', { name: 'Save properties' }).click();
    expect(await page.locator('#result').innerText()).toContain('The properties of team are not valid JSON');
    await properties.fill('["a list"]');
    await page.locator('tr[data-group="team"]').getByRole('button', { name: 'Save properties' }).click();
    expect(await page.locator('#result').innerText()).toBe('The properties of team must be a JSON object, like {"key": "value"}.');
    expect(t.hub.stores.groups.get('team')?.properties).toEqual({});

    await properties.fill(JSON.stringify({ motto: XSS }));
    await Promise.all([page.waitForEvent('load'), page.locator('tr[data-group="team"]').getByRole('button', { name: 'Save properties' }).click()]);
    expect(t.hub.stores.groups.get('team')?.properties).toEqual({ motto: XSS });
    expect(JSON.parse(await page.getByLabel('Properties of team (JSON)').inputValue())).toEqual({ motto: XSS });
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();

    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Remove bob from team' }).click()]);
    expect(t.hub.stores.groups.members('team')).toEqual([]);
  });
});

describe('the page as a whole', () => {
  // The page's own content (main); the frame's top bar belongs to the pages branch and is checked by its tests.
  it('has no serious or critical accessibility violation at 1280 and 375 px, light and dark, and is screenshotted', async () => {
    await t.hub.servers.start('ally', {}, {});
    await t.hub.servers.start('nina', {}, { server: 'work' });
    await admin();
    expect(await checkPage(page, 'admin')).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await checkPage(page, 'admin-dark')).toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('button', { name: 'Stop all', exact: true }).click();
    expect(await checkPage(page, 'admin-confirm')).toEqual([]);
    await page.locator('#confirm').getByRole('button', { name: 'Cancel' }).click();
    await row('bob').getByRole('button', { name: 'Edit bob' }).click();
    expect(await checkPage(page, 'admin-edit')).toEqual([]);
    await page.locator('#edit-user').getByRole('button', { name: 'Cancel' }).click();
    await t.hub.servers.stop('ally');
    await t.hub.servers.stop('nina', { server: 'work' });
  });
});
