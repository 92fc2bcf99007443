// Issue 10 point 4 in a real browser (Debian's chromium, *.hub.test mapped to loopback): with hub.subdomain_host,
// alice (admin) signs in through the GitHub stand-in and opens her real jupyterhub-singleuser server on her own host;
// then she opens a page served, without sign-in, from mallory's real server on mallory's host. Everything that
// page's script tries against the hub and alice's server fails, and the hub shows nothing changed. The same page on
// the shared-origin default reads alice's files: what subdomain_host closes.
import { randomBytes } from 'node:crypto';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { launchBrowser, signInWithGithub } from '../helpers/browser.js';
import { shellIn } from '../helpers/container-probes.js';
import { freePort } from '../helpers/free-port.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

let gh: FakeGithub;
let browser: BrowserContext;
const secret = `alice-secret-${randomBytes(6).toString('hex')}.txt`;

/** One hub with real servers for alice (admin) and mallory, and mallory's page in her server's custom/ directory. */
interface Site {
  t: TestHub;
  /** Where the hub, alice's server and mallory's server are served (one origin without subdomain_host). */
  hub: string;
  aliceHost: string;
  malloryHost: string;
}

async function startSite(subdomain: boolean): Promise<Site> {
  const port = await freePort();
  const origin = (label: string) => (subdomain ? `http://${label}hub.test:${port}` : `http://127.0.0.1:${port}`);
  const hub = origin('');
  const t = await startTestHub({
    hub: { bind: `127.0.0.1:${port}`, admin_access: false, ...(subdomain ? { subdomain_host: hub } : {}) },
    auth: { admin_users: ['alice'], allowed_users: ['mallory'], github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl } },
    spawner: { image: 'berth/singleuser:test', start_timeout: 120, http_timeout: 60 },
  });
  const site = { t, hub, aliceHost: origin('alice.'), malloryHost: origin('mallory.') };
  try {
    t.users.ensure('alice', { admin: true });
    t.users.ensure('mallory');
    const started = await Promise.all([t.hub.servers.start('alice'), t.hub.servers.start('mallory')]);
    expect(started).toEqual(['started', 'started']);
    await shellIn(t.docker.getContainer(t.hub.servers.get('alice')!.containerId!), `touch /home/jovyan/${secret}`);
    const page = Buffer.from(attackPage(site)).toString('base64');
    await shellIn(t.docker.getContainer(t.hub.servers.get('mallory')!.containerId!), `mkdir -p /home/jovyan/.jupyter/custom && echo ${page} | base64 -d > /home/jovyan/.jupyter/custom/x.html`);
  } catch (err) {
    await t.cleanup();
    throw err;
  }
  return site;
}

/** Signs alice in through the GitHub stand-in on the hub's host and opens her server; returns the URLs visited. */
async function openAliceServer(site: Site): Promise<string[]> {
  const page = await signInWithGithub(await browser.newPage(), site.hub);
  const visited: string[] = [];
  page.on('request', (request) => {
    if (request.isNavigationRequest()) visited.push(request.url());
  });
  await page.goto(`${site.hub}/user/alice/tree`);
  await page.waitForURL(`${site.aliceHost}/user/alice/tree`);
  expect(await page.title()).toContain('Home');
  // The control: from her own server's origin, alice's session reads her files.
  const listing = await page.evaluate(async () => (await fetch('/user/alice/api/contents')).text());
  expect(listing).toContain(secret);
  await page.close();
  return visited;
}

/** Opens mallory's page as alice and returns what each of its attempts got. */
async function runAttack(site: Site): Promise<Record<string, string>> {
  const page = await browser.newPage();
  const res = await page.goto(`${site.malloryHost}/user/mallory/custom/x.html`);
  expect(res?.status()).toBe(200);
  expect(page.url()).toBe(`${site.malloryHost}/user/mallory/custom/x.html`);
  await page.waitForFunction(() => document.title === 'done', undefined, { timeout: 60_000 });
  const results = JSON.parse(await page.locator('#results').innerText()) as Record<string, string>;
  await page.close();
  if (process.env.BERTH_TEST_SHOW) console.log(results);
  expect(Object.keys(results)).toHaveLength(12);
  return results;
}

/** Runs a command in a user's container (as jovyan) and returns its output. */
/**
 * mallory's page: each attempt writes what it got; `status 2xx` (a readable answer) or `READ <text>` would mean
 * the attempt worked. Frames and windows are polled until they either throw (another origin) or show content.
 */
function attackPage({ hub, aliceHost }: Pick<Site, 'hub' | 'aliceHost'>): string {
  return `<!doctype html><html><head><title>cat pictures</title></head><body><pre id="results"></pre><script>
const HUB = ${JSON.stringify(hub)}, ALICE = ${JSON.stringify(aliceHost)};
const results = {};
async function attempt(name, fn) { try { results[name] = await fn(); } catch (e) { results[name] = 'blocked: ' + e; } }
async function read(url, init) { const r = await fetch(url, init); return 'status ' + r.status + ' ' + r.type + ': ' + (await r.text()).slice(0, 500); }
function readWindow(get) {
  return new Promise((resolve) => {
    let tries = 0;
    const poll = () => {
      try {
        const text = get().document.body.innerText;
        if (text.trim()) return resolve('READ ' + text.slice(0, 500));
      } catch (e) { return resolve('blocked: ' + e); }
      if (++tries > 150) return resolve('blocked: nothing readable');
      setTimeout(poll, 100);
    };
    poll();
  });
}
const json = { 'Content-Type': 'application/json' };
(async () => {
  await attempt('mint a token for alice, with her cookie', () => read(HUB + '/hub/api/users/alice/tokens', { method: 'POST', credentials: 'include', headers: json, body: '{"note":"mallory was here"}' }));
  await attempt('mint a token for alice, no-cors text/plain', () => read(HUB + '/hub/api/users/alice/tokens', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body: '{"note":"mallory was here"}' }));
  await attempt('mint a token for alice, without credentials', () => read(HUB + '/hub/api/users/alice/tokens', { method: 'POST', credentials: 'omit', headers: json, body: '{"note":"mallory was here"}' }));
  await attempt('mint a token through mallory\\'s host', () => read('/hub/api/users/alice/tokens', { method: 'POST', credentials: 'include', headers: json, body: '{"note":"mallory was here"}' }));
  await attempt('make mallory an admin', () => read(HUB + '/hub/api/users/mallory', { method: 'PATCH', credentials: 'include', headers: json, body: '{"admin":true}' }));
  await attempt('read alice\\'s files', () => read(ALICE + '/user/alice/api/contents', { credentials: 'include' }));
  await attempt('read alice\\'s tree', () => read(ALICE + '/user/alice/tree', { credentials: 'include' }));
  await attempt('read alice\\'s files through mallory\\'s host', () => read('/user/alice/api/contents', { credentials: 'include' }));
  await attempt('read alice\\'s tree through mallory\\'s host', () => read('/user/alice/tree', { credentials: 'include' }));
  await attempt('read alice\\'s files in an iframe', () => {
    const frame = document.createElement('iframe');
    frame.src = ALICE + '/user/alice/api/contents';
    document.body.appendChild(frame);
    return readWindow(() => frame.contentWindow);
  });
  await attempt('read alice\\'s files in an iframe through mallory\\'s host', () => {
    const frame = document.createElement('iframe');
    frame.src = '/user/alice/api/contents';
    document.body.appendChild(frame);
    return readWindow(() => frame.contentWindow);
  });
  await attempt('read alice\\'s files with window.open', async () => {
    const w = window.open(ALICE + '/user/alice/api/contents');
    if (!w) return 'blocked: no window';
    try { return await readWindow(() => w); } finally { w.close(); }
  });
  document.getElementById('results').textContent = JSON.stringify(results);
  document.title = 'done';
})();
</script></body></html>`;
}

beforeAll(async () => {
  gh = await startFakeGithub({ clientId: 'cid', clientSecret: 'csecret', login: 'Alice' });
  browser = await launchBrowser({ args: ['--host-resolver-rules=MAP *.hub.test 127.0.0.1, MAP hub.test 127.0.0.1'] });
});

afterAll(async () => {
  await browser?.close();
  await gh?.close();
});

describe('per-user origins (hub.subdomain_host) in a browser', () => {
  let site: Site;
  beforeAll(async () => {
    site = await startSite(true);
  }, 240_000);
  afterAll(() => site?.t.cleanup());
  // alice signs in and opens her server once, in whichever test needs it first, so any order works.
  let opened: Promise<string[]> | undefined;
  const aliceOnHerServer = () => (opened ??= openAliceServer(site));

  it('signs alice in on the hub host and opens her server on her own host through the OAuth dance', async () => {
    const visited = await aliceOnHerServer();
    expect(visited.some((url) => url.startsWith(`${site.hub}/hub/api/oauth2/authorize?`))).toBe(true);
    expect(visited.some((url) => url.startsWith(`${site.aliceHost}/user/alice/oauth_callback?`))).toBe(true);
  }, 120_000);

  it("keeps each origin's cookies on that origin", async () => {
    await aliceOnHerServer();
    const { hub, aliceHost, malloryHost } = site;
    const names = async (url: string) => (await browser.cookies(url)).map((c) => c.name);
    expect(await names(`${hub}/hub/`)).toContain('jupyterhub-hub-login');
    expect(await names(`${aliceHost}/user/alice/`)).toContain('jupyterhub-user-alice');
    expect(await names(`${aliceHost}/hub/`)).not.toContain('jupyterhub-hub-login');
    expect(await names(`${malloryHost}/hub/`)).not.toContain('jupyterhub-hub-login');
    expect(await names(`${malloryHost}/user/alice/`)).not.toContain('jupyterhub-user-alice');
    expect(await names(`${hub}/user/alice/`)).not.toContain('jupyterhub-user-alice');
  }, 120_000);

  it("gives a page from mallory's server, opened by alice, no way to act as her or read her files", async () => {
    await aliceOnHerServer();
    const { t } = site;
    const aliceId = t.users.get('alice')!.id;
    const tokensOfAlice = () => (t.hub.db.$client.prepare('SELECT count(*) AS n FROM api_tokens WHERE user_id = ?').get(aliceId) as { n: number }).n;
    const before = tokensOfAlice();
    const results = await runAttack(site);
    for (const [attempt, outcome] of Object.entries(results)) {
      expect(outcome, attempt).not.toMatch(/^(status 2|READ )/);
      expect(outcome, attempt).not.toContain(secret);
    }
    expect(tokensOfAlice()).toBe(before);
    expect(t.users.get('mallory')!.admin).toBe(false);
    expect(t.hub.db.$client.prepare("SELECT count(*) AS n FROM api_tokens WHERE note LIKE '%mallory was here%'").get()).toEqual({ n: 0 });
  }, 120_000);
});

describe('the shared-origin default, for comparison', () => {
  let site: Site;
  beforeAll(async () => {
    await browser.clearCookies();
    site = await startSite(false);
  }, 240_000);
  afterAll(() => site?.t.cleanup());

  it("lets the same page from mallory's server read alice's files, which is what hub.subdomain_host prevents", async () => {
    await openAliceServer(site);
    const results = await runAttack(site);
    expect(results["read alice's files"]).toMatch(/^status 200 /);
    expect(results["read alice's files"]).toContain(secret);
  }, 180_000);
});
