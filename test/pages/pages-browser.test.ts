// The hub's pages as a person uses them, in Debian's chromium against a whole hub with real containers
// (berth/backend:test, and berth/singleuser:latest where JupyterLab must load) and the stand-in GitHub: start
// through the options page and the progress page to the server, Stop updating the home page by itself, a failed
// start and Try again, named servers from the home page, tokens and an authorized application revoked, and hostile
// text shown as text.
import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { launchBrowser, signInWithGithub } from '../helpers/browser.js';
import { freePort } from '../helpers/free-port.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { waitFor } from '../helpers/wait-for.js';

const run = randomBytes(4).toString('hex');
/** An image that does not exist until the test tags it: a start fails, then Try again works. */
const LATE_IMAGE = `berth/pages-late-${run}:test`;
const XSS = `<img src=x onerror="window.__xss=1">`;

let gh: FakeGithub;
let t: TestHub;
let browser: BrowserContext;

beforeAll(async () => {
  gh = await startFakeGithub({ clientId: 'cid', clientSecret: 'csecret' });
  t = await startTestHub({
    // A fixed port: GitHub's redirect back names it (hub.public_url is derived from bind).
    hub: { bind: `127.0.0.1:${await freePort()}`, announcement: `Maintenance on Friday ${XSS}` },
    auth: {
      admin_users: ['admin'],
      allowed_users: ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'admin'],
      github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl },
    },
    spawner: {
      // A second to listen, so the progress page is seen before the server.
      environment: { BACKEND_DELAY_S: 1 },
      // Room for a real JupyterLab to come up on a busy machine.
      start_timeout: 120,
      http_timeout: 90,
      allow_named_servers: true,
      images: {
        base: { image: 'berth/backend:test', description: 'The test backend' },
        other: { image: 'berth/backend:test', description: 'The same backend under another name' },
        late: { image: LATE_IMAGE, description: 'Not there until the test tags it' },
        jupyterlab: { image: 'berth/singleuser:latest', description: 'JupyterLab 4 on jupyterhub-singleuser 5.2.1' },
      },
    },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await t?.docker.getImage(LATE_IMAGE).remove().catch(() => undefined);
  await t?.cleanup();
  await gh?.close();
});

/** A fresh page signed in as `login` (signing out whoever the browser was signed in as). */
async function signedIn(login: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${t.url}/hub/logout`);
  gh.login = login;
  await signInWithGithub(page, t.url);
  return page;
}

const card = (page: Page, server = '') => page.locator(`[data-server="${server}"]`);

describe('starting a server from the home page', () => {
  it('goes home → Start → options → pick → progress → the server, and remembers the pick', async () => {
    const page = await signedIn('alice');
    expect(await page.locator('#signed-in-user').innerText()).toBe('alice');
    await page.click('#start');
    await page.waitForURL(`${t.url}/hub/spawn/alice`);
    // The last pick is preselected; with none yet, the first entry.
    expect(await page.getByLabel('base').isChecked()).toBe(true);
    await page.getByLabel('other').check();
    const navigations: string[] = [];
    page.on('request', (r) => { if (r.isNavigationRequest()) navigations.push(new URL(r.url()).pathname); });
    await page.click('#start');
    await page.waitForURL(`${t.url}/user/alice/`, { timeout: 60_000 });
    expect(navigations).toContain('/hub/spawn-pending/alice');
    expect(JSON.parse(await page.locator('body').innerText())).toMatchObject({ path: '/user/alice/' });
    expect(t.hub.servers.get('alice')).toMatchObject({ ready: true, imageLabel: 'other' });

    await page.goto(`${t.url}/hub/home`);
    expect(await card(page).getAttribute('data-state')).toBe('running');
    expect(await card(page).locator('[data-image]').innerText()).toBe('other');
    await card(page).locator('[data-control="stop"]').click();
    await waitFor(() => expect(t.hub.servers.get('alice')!.status).toBe('stopped'), { timeoutMs: 30_000 });
    await page.goto(`${t.url}/hub/spawn/alice`);
    expect(await page.getByLabel('other').isChecked()).toBe(true);
    await page.close();
  });

  it('lands in JupyterLab when the pick is a real single-user image', async () => {
    const page = await signedIn('frank');
    await page.click('#start');
    await page.waitForURL(`${t.url}/hub/spawn/frank`);
    await page.getByLabel('jupyterlab', { exact: true }).check();
    await page.click('#start');
    await page.waitForURL((url) => url.pathname.replace(/\/$/, '') === '/user/frank/lab', { timeout: 150_000 });
    await waitFor(() => expect(page.title()).resolves.toContain('JupyterLab'), { timeoutMs: 60_000 });
    await t.hub.servers.stop('frank');
    await page.close();
  }, 240_000);

  it('updates the home page by itself when the server stops, without a reload', async () => {
    await t.hub.servers.start('bob', {}, {});
    const page = await signedIn('bob');
    expect(await card(page).getAttribute('data-state')).toBe('running');
    await page.evaluate(() => { (window as unknown as { sameDocument: boolean }).sameDocument = true; });
    // Stopped elsewhere (another tab, an admin, the culler): the page follows.
    await t.hub.servers.stop('bob');
    await waitFor(() => expect(card(page).getAttribute('data-state')).resolves.toBe('stopped'), { timeoutMs: 15_000 });
    expect(await card(page).locator('[data-status]').innerText()).toBe('Stopped');
    expect(await card(page).locator('[data-control="open"]').isVisible()).toBe(false);
    expect(await card(page).locator('[data-control="stop"]').isVisible()).toBe(false);
    expect(await card(page).locator('[data-control="start"]').isVisible()).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    await page.close();
  });

  it('shows a failed start in red with its reason once, and Try again starts it', async () => {
    const page = await signedIn('carol');
    await page.goto(`${t.url}/hub/spawn/carol`);
    await page.getByLabel('late').check();
    await page.click('#start');
    await page.waitForURL(`${t.url}/hub/spawn-pending/carol`);
    await page.locator('#failed').waitFor({ state: 'visible', timeout: 30_000 });
    const reason = await page.locator('#failed').innerText();
    expect(reason).toContain(`Image ${LATE_IMAGE} is not on the Docker host`);
    // Once: not also in the progress message or the event log.
    const body = await page.locator('body').innerText();
    expect(body.split(`Image ${LATE_IMAGE} is not on the Docker host`).length - 1).toBe(1);
    expect(await page.locator('#progress-bar .progress-bar').getAttribute('class')).toContain('bg-danger');
    expect(await page.locator('#progress-bar').getAttribute('aria-valuenow')).toBe('100');
    expect(await page.locator('#cancel').isVisible()).toBe(false);
    expect(await page.locator('#back-home').isVisible()).toBe(true);

    await t.docker.getImage('berth/backend:test').tag({ repo: LATE_IMAGE.split(':')[0], tag: 'test' });
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.waitForURL(`${t.url}/user/carol/`, { timeout: 60_000 });
    expect(t.hub.servers.get('carol')).toMatchObject({ ready: true, imageLabel: 'late' });
    await t.hub.servers.stop('carol');
    await page.close();
  });
});

describe('named servers on the home page', () => {
  it('creates, opens, stops and deletes a named server', async () => {
    const page = await signedIn('dave');
    await page.getByLabel('Server name').fill('work');
    await page.getByRole('button', { name: 'Add server' }).click();
    await page.waitForURL(`${t.url}/hub/spawn/dave/work`);
    await page.click('#start');
    await page.waitForURL(`${t.url}/user/dave/work/`, { timeout: 60_000 });

    await page.goto(`${t.url}/hub/home`);
    expect(await card(page, 'work').getAttribute('data-state')).toBe('running');
    expect(await card(page).getAttribute('data-state')).toBe('stopped');
    await Promise.all([page.waitForURL(`${t.url}/user/dave/work/`), card(page, 'work').getByRole('link', { name: 'Open' }).click()]);
    await page.goto(`${t.url}/hub/home`);
    await card(page, 'work').locator('[data-control="stop"]').click();
    await waitFor(() => expect(card(page, 'work').getAttribute('data-state')).resolves.toBe('stopped'), { timeoutMs: 30_000 });
    page.once('dialog', (d) => void d.accept());
    await card(page, 'work').getByRole('button', { name: 'Delete work' }).click();
    await waitFor(() => expect(card(page, 'work').count()).resolves.toBe(0));
    await waitFor(() => expect(t.hub.servers.get('dave', 'work')).toBeNull());
    await page.reload();
    expect(await card(page, 'work').count()).toBe(0);
    await page.close();
  });

  it('refuses a bad server name with a page saying the rule', async () => {
    const page = await signedIn('dave');
    const res = await page.goto(`${t.url}/hub/spawn/dave/Bad_Name`);
    expect(res?.status()).toBe(400);
    expect(await page.locator('#error-message').innerText()).toContain('a server name is 1 to 30 characters');
    await page.close();
  });
});

describe('tokens and authorized applications', () => {
  it('creates and revokes a token, and revokes an OAuth grant', async () => {
    const user = t.hub.stores.users.ensure('erin');
    // An authorized application: an OAuth client (a service's) holding a token of erin's.
    t.hub.stores.oauthClients.register({ identifier: 'service-notes', description: 'Notes service', secret: 'x', redirectUri: 'http://notes/cb', allowedScopes: ['identify'] });
    const grant = t.hub.stores.tokens.issue({ userId: user.id, scopes: ['identify'], note: 'oauth', clientId: 'service-notes' });
    const page = await signedIn('erin');
    await page.goto(`${t.url}/hub/token`);
    await page.getByLabel('Note', { exact: true }).fill(XSS);
    await page.getByRole('button', { name: 'Request new API token' }).click();
    await page.locator('#new-token-value').waitFor({ state: 'visible' });
    const token = await page.locator('#token').innerText();
    expect((await fetch(`${t.url}/hub/api/user`, { headers: { Authorization: `token ${token}` } })).status).toBe(200);

    await page.reload();
    expect(await page.locator('#tokens').innerText()).toContain(XSS);
    expect(await page.locator('#apps').innerText()).toContain('Notes service');
    await Promise.all([page.waitForEvent('load'), page.getByLabel('Revoke Notes service').click()]);
    expect(await page.locator('#apps').count()).toBe(0);
    expect((await fetch(`${t.url}/hub/api/user`, { headers: { Authorization: `token ${grant.token}` } })).status).toBe(403);
    await Promise.all([page.waitForEvent('load'), page.getByLabel(`Revoke ${XSS}`).click()]);
    expect((await fetch(`${t.url}/hub/api/user`, { headers: { Authorization: `token ${token}` } })).status).toBe(403);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await page.close();
  });
});

describe('hostile text', () => {
  it('shows an XSS payload in next, a path, a token note and the announcement as text on every page that shows it', async () => {
    // An admin may ask for any user, so the unknown name comes back in the message.
    const page = await signedIn('admin');
    expect(await page.locator('#announcement').innerText()).toContain(XSS);
    const missing = await page.goto(`${t.url}/hub/spawn-pending/${encodeURIComponent(XSS)}`);
    expect(missing?.status()).toBe(404);
    expect(await page.locator('#error-message').innerText()).toContain(XSS);
    await page.goto(`${t.url}/hub/logout`);
    await page.goto(`${t.url}/hub/login?next=${encodeURIComponent(`/hub/home?"${XSS}`)}`);
    expect(await page.locator('#announcement').innerText()).toContain(XSS);
    expect(await page.locator('#github-login').getAttribute('href')).toContain(encodeURIComponent(XSS));
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await page.close();
  });
});
