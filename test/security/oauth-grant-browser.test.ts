// Issue 10, finding 3, in a real browser: mallory's page sends alice (an admin, with hub.admin_access on) to the
// hub's authorize step for mallory's own server, asking for admin:users, tokens and more. The consent page alice
// sees lists what will really be granted; the code that reaches mallory's server (whose secret mallory holds, as
// the owner of the container) buys a token that opens mallory's server and names alice, and nothing else.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { launchBrowser, signInWithGithub } from '../helpers/browser.js';
import { shellIn } from '../helpers/container-probes.js';
import { freePort } from '../helpers/free-port.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

const GRANTED = ['access:servers!server=mallory/', 'read:users:groups!user=alice', 'read:users:name!user=alice'];

let gh: FakeGithub;
let t: TestHub;
let browser: BrowserContext;
/** What mallory's container knows: its OAuth client's secret and callback. */
let mallory: { secret: string; callback: string };


beforeAll(async () => {
  gh = await startFakeGithub({ clientId: 'cid', clientSecret: 'csecret', login: 'alice' });
  t = await startTestHub({
    hub: { bind: `127.0.0.1:${await freePort()}`, admin_access: true },
    auth: { admin_users: ['alice'], allowed_users: ['alice', 'mallory'], github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl } },
    spawner: { image: 'berth/singleuser:test', start_timeout: 120, http_timeout: 60 },
  });
  t.users.ensure('mallory');
  expect(await t.hub.servers.start('mallory')).toBe('started');
  const env = (await t.docker.getContainer(t.hub.servers.get('mallory')!.containerId!).inspect()).Config.Env;
  const envOf = (name: string) => env.find((e) => e.startsWith(`${name}=`))!.slice(name.length + 1);
  mallory = { secret: envOf('JUPYTERHUB_API_TOKEN'), callback: envOf('JUPYTERHUB_OAUTH_CALLBACK_URL') };
  const authorize = `/hub/api/oauth2/authorize?${new URLSearchParams({
    client_id: 'jupyterhub-user-mallory', redirect_uri: mallory.callback, response_type: 'code', state: 'mallory-state',
    scope: 'admin:users tokens admin:servers read:users access:servers',
  })}`;
  const lure = `<a id="lure" href="${authorize.replace(/&/g, '&amp;')}">a notebook you will like</a>`;
  await shellIn(t.docker.getContainer(t.hub.servers.get('mallory')!.containerId!), `mkdir -p "$HOME/.jupyter/custom" && echo ${Buffer.from(lure).toString('base64')} | base64 -d > "$HOME/.jupyter/custom/lure.html"`);
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.cleanup();
  await gh?.close();
});

const signInAlice = async (): Promise<Page> => signInWithGithub(await browser.newPage(), t.url);

describe('alice (admin, admin_access on) follows a link on mallory\'s page to the authorize step of mallory\'s server', () => {
  let page: Page;
  let code: string | null = null;

  beforeAll(async () => {
    page = await signInAlice();
    // The code lands on mallory's server, whose container mallory owns: the test takes it from the hub's redirect
    // there, as she would (the browser does not go on, so her server does not spend the code first).
    await page.route(`${t.url}/hub/api/oauth2/authorize**`, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const answer = await route.fetch({ maxRedirects: 0 });
      const location = new URL(answer.headers().location ?? '', t.url);
      if (location.pathname === new URL(mallory.callback, t.url).pathname) code = location.searchParams.get('code');
      await route.fulfill({ status: 200, contentType: 'text/plain', body: `hub answered ${answer.status()}` });
    });
    await page.goto(`${t.url}/user/mallory/custom/lure.html`);
    await page.locator('#lure').click();
    await page.waitForSelector('#authorize');
  }, 60_000);

  it('shows a consent page listing only access to mallory\'s server and alice\'s name and groups', async () => {
    const listed = await page.locator('li[data-scope]').evaluateAll((items) => items.map((li) => li.getAttribute('data-scope')));
    expect(listed).toEqual(GRANTED);
    expect(await page.textContent('body')).not.toMatch(/admin:users|Read, write, create and delete users/);
  });

  it('gives mallory\'s server a token that opens her server and names alice, and cannot act as alice', async () => {
    await page.locator('#authorize').click();
    await page.waitForFunction(() => document.body.textContent?.startsWith('hub answered'));
    expect(await page.textContent('body')).toBe('hub answered 302');
    expect(code).toMatch(/\S{8,}/);
    const exchanged = await fetch(`${t.url}/hub/api/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, client_id: 'jupyterhub-user-mallory', client_secret: mallory.secret, redirect_uri: mallory.callback }),
    });
    expect(exchanged.status).toBe(200);
    const grant = await exchanged.json() as { access_token: string; scope: string };
    expect(grant.scope.split(' ').sort()).toEqual(GRANTED);
    const as = (path: string, init: RequestInit = {}) =>
      fetch(`${t.url}${path}`, { ...init, headers: { authorization: `token ${grant.access_token}`, 'content-type': 'application/json', ...init.headers } });

    const me = await (await as('/hub/api/user')).json();
    expect(me).toMatchObject({ name: 'alice' });
    expect([...me.scopes].sort()).toEqual(GRANTED);
    expect((await as('/hub/api/users')).status).toBe(403);
    expect((await as('/hub/api/users/alice/tokens', { method: 'POST', body: '{}' })).status).toBe(403);
    expect((await as('/hub/api/users/mallory', { method: 'PATCH', body: '{"admin": true}' })).status).toBe(403);
    expect(t.users.get('mallory')!.admin).toBe(false);
  });
});
