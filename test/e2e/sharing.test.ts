// Issue 12's sharing "done when", against alice's real, unmodified JupyterHub 5.2.1 server (berth/singleuser:latest):
// a user share (bob), a group share (carol, through group team) and a share code accepted on /hub/accept-share (dan)
// each get that user through the OAuth step into alice's server, over plain HTTP with cookies obtained through the
// real redirects; eve, with no share, is refused there; after revocation a new OAuth check refuses bob. Then the home
// page's sharing panel in chromium: alice shares with frank and creates a link, grace accepts the link and lands in
// alice's JupyterLab, alice revokes frank; a group whose name is markup is shown as text.
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { launchBrowser, signInWithGithub } from '../helpers/browser.js';
import { CookieClient } from '../helpers/cookie-client.js';
import { freePort } from '../helpers/free-port.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { waitFor } from '../helpers/wait-for.js';

const USERS = ['alice', 'bob', 'carol', 'dan', 'eve', 'frank', 'grace'];

describe('sharing alice\'s real JupyterHub 5.2.1 server', () => {
  let gh: FakeGithub;
  let t: TestHub;
  let aliceToken: string;
  const browsers: BrowserContext[] = [];

  async function signIn(login: string): Promise<CookieClient> {
    gh.login = login;
    const client = new CookieClient(t.url);
    const home = await client.navigate('/hub/oauth_login?next=%2Fhub%2Fhome');
    expect(home.status).toBe(200);
    return client;
  }

  /** Opens alice's JupyterLab as `client` would in a browser, confirming the hub's consent page on the way; the last answer. */
  async function openAlicesServer(client: CookieClient): Promise<Response> {
    let res = await client.navigate('/user/alice/lab');
    const last = client.hops.at(-1)!.url;
    if (res.status === 200 && new URL(last).pathname === '/hub/api/oauth2/authorize') {
      const xsrf = /name="_xsrf" value="([^"]+)"/.exec(await res.text())?.[1] ?? '';
      const confirmed = await client.request(last, {
        method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _xsrf: xsrf }).toString(),
      });
      expect(confirmed.status).toBe(302);
      res = await client.navigate(confirmed.headers.get('location')!);
    }
    return res;
  }

  const api = (path: string, method = 'GET', body?: unknown) => fetch(`${t.url}/hub/api${path}`, {
    method, headers: { Authorization: `token ${aliceToken}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });

  beforeAll(async () => {
    gh = await startFakeGithub({ clientId: 'cid', clientSecret: 'csecret', login: 'Alice' });
    t = await startTestHub({
      hub: { bind: `127.0.0.1:${await freePort()}` },
      auth: { allowed_users: USERS, github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl } },
      spawner: { image: 'berth/singleuser:latest', start_timeout: 120, http_timeout: 60 },
    });
    for (const name of USERS) t.users.ensure(name);
    const alice = t.users.get('alice')!;
    aliceToken = t.hub.stores.tokens.issue({ userId: alice.id, scopes: ['inherit'], note: 'test' }).token;
    expect([201, 202]).toContain((await api('/users/alice/server', 'POST', {})).status);
    await waitFor(() => expect(t.hub.servers.get('alice')?.status).toBe('running'), { timeoutMs: 120_000, intervalMs: 500 });
  }, 180_000);

  afterAll(async () => {
    for (const b of browsers) await b.close();
    await t?.cleanup();
    await gh?.close();
  });

  it('lets a user share, a group share and an accepted code through the OAuth step, refuses others, and a revoked user at the next check', async () => {
    const groups = t.hub.stores.groups;
    groups.create('team');
    groups.addMembers(groups.get('team')!.id, [t.users.get('carol')!.id]);
    expect((await api('/shares/alice/', 'POST', { user: 'bob' })).status).toBe(200);
    expect((await api('/shares/alice/', 'POST', { group: 'team' })).status).toBe(200);
    const code = await (await api('/share-codes/alice/', 'POST', { expires_in: 3600 })).json() as { accept_url: string };

    const dan = await signIn('Dan');
    const invitation = await dan.navigate(code.accept_url);
    const page = await invitation.text();
    expect(page).toContain('You (dan) have been invited to access alice&#39;s server');
    const xsrf = /name="_xsrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const accepted = await dan.request(code.accept_url, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _xsrf: xsrf }).toString(),
    });
    expect(accepted.status).toBe(302);
    expect(accepted.headers.get('location')).toBe('/user/alice/');

    const visitors = { bob: await signIn('Bob'), carol: await signIn('Carol'), dan };
    for (const [name, client] of Object.entries(visitors)) {
      const lab = await openAlicesServer(client);
      const trail = client.hops.map((h) => `${h.status} ${new URL(h.url).pathname}`).join(' → ');
      expect(lab.status, `${name}: ${trail}`).toBe(200);
      expect(client.hops.map((h) => new URL(h.url).pathname)).toContain('/user/alice/oauth_callback');
      const contents = await client.request('/user/alice/api/contents');
      expect(contents.status, name).toBe(200);
      expect((await contents.json() as { type: string }).type).toBe('directory');
    }

    const eve = await signIn('Eve');
    expect((await openAlicesServer(eve)).status).toBe(403);
    expect(eve.hops.at(-1)!.url).toContain('/hub/api/oauth2/authorize');

    expect((await api('/shares/alice/', 'PATCH', { user: 'bob' })).status).toBe(200);
    const bobAgain = await signIn('Bob');
    expect((await openAlicesServer(bobAgain)).status).toBe(403);
    expect(bobAgain.hops.at(-1)!.url).toContain('/hub/api/oauth2/authorize');
  }, 120_000);

  it('shares, accepts a link and revokes from the home page in chromium, showing a hostile group name as text', async () => {
    const aliceBrowser = await launchBrowser();
    browsers.push(aliceBrowser);
    gh.login = 'Alice';
    const alicePage = await signInWithGithub(await aliceBrowser.newPage(), t.url);
    const dialogs: string[] = [];
    alicePage.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });

    const section = alicePage.locator('#share-default');
    await section.locator('.share-form input[name="name"]').fill('frank');
    await section.locator('.share-submit').click();
    await alicePage.waitForURL(`${t.url}/hub/home`);
    await expect.poll(() => alicePage.locator('#share-default li[data-name="frank"]').count()).toBe(1);

    await alicePage.locator('#share-default select[name="expires_in"]').selectOption('3600');
    await alicePage.locator('#share-default .link-submit').click();
    const link = await alicePage.locator('#share-link').inputValue();
    expect(link).toMatch(new RegExp(`^${t.url}/hub/accept-share\\?code=`));

    // grace, in a browser of her own, opens the link, signs in, accepts, and lands in alice's JupyterLab.
    const graceBrowser = await launchBrowser();
    browsers.push(graceBrowser);
    gh.login = 'Grace';
    const gracePage = await signInWithGithub(await graceBrowser.newPage(), t.url);
    await gracePage.goto(link);
    await expect.poll(() => gracePage.locator('#invitation').textContent()).toContain("You (grace) have been invited to access alice's server");
    await gracePage.click('#accept');
    // Not grace's server: the hub asks her to confirm the sign-in to it.
    await gracePage.waitForURL((url) => url.pathname === '/hub/api/oauth2/authorize');
    await gracePage.click('#authorize');
    await gracePage.waitForURL((url) => url.pathname.replace(/\/$/, '') === '/user/alice/lab', { timeout: 60_000 });
    expect(await gracePage.title()).toContain('JupyterLab');

    await alicePage.goto(`${t.url}/hub/home`);
    await alicePage.locator('#share-default li[data-name="frank"] .revoke').click();
    await alicePage.waitForURL(`${t.url}/hub/home`);
    expect(await alicePage.locator('#share-default li[data-name="frank"]').count()).toBe(0);
    expect(await alicePage.locator('#share-default li[data-name="grace"]').count()).toBe(1);

    const hostile = '<img src=x onerror=alert(document.domain)>';
    const group = t.hub.stores.groups.create(hostile)!;
    const alice = t.users.get('alice')!;
    t.hub.stores.shares.grant({ ownerId: alice.id, serverName: '', serverId: null }, { groupId: group.id }, ['access:servers!server=alice/']);
    await alicePage.goto(`${t.url}/hub/home`);
    await expect.poll(() => alicePage.locator('#share-default li[data-kind="group"] .share-name').filter({ hasText: 'onerror' }).textContent()).toBe(`group ${hostile}`);
    expect(await alicePage.locator('#sharing img').count()).toBe(0);
    expect(dialogs).toEqual([]);
  }, 180_000);
});
