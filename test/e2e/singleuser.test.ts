// Issue 5's and issue 12's "done when": real, unmodified single-user servers behind Berth, one of each protocol
// generation: JupyterHub 5.2.1 on jupyter-server 2 with JupyterLab 4 (berth/singleuser:latest, Debian trixie) and
// JupyterHub 3.0 with the classic notebook 6.4 (berth/singleuser:test, bookworm). For each: carol, in chromium,
// signs in through the GitHub stand-in, starts her server from the home page, is OAuth'd into her server's default
// UI and runs a notebook cell, whose kernel WebSocket goes through the proxy. alice does the same over plain HTTP
// (kernel REST API and WebSocket), reports activity, and signs out; bob, signed in too, gets 403 at /user/alice/.
// Berth answers as JupyterHub 5.2.1, so the 5.2.1 server logs no version-mismatch warning; the 3.0 one warns (it
// compares major.minor) and works all the same.
import { randomUUID } from 'node:crypto';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { createTokenStore } from '../../src/auth/tokens.js';
import { createLogger } from '../../src/log.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { launchBrowser, signInWithGithub } from '../helpers/browser.js';
import { CookieClient } from '../helpers/cookie-client.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { freePort } from '../helpers/free-port.js';

/** What differs between the two generations: the image, and where its UI puts things. */
const GENERATIONS = [
  {
    image: 'berth/singleuser:latest', version: '5.2.1', ui: 'lab', title: 'JupyterLab', sameMajor: true, showsHubLogo: false,
    notebook: 'lab/tree/', kernelIdle: '.jp-StatusBar-TextItem:has-text("| Idle")', cell: '.jp-Notebook .jp-Cell', output: '.jp-OutputArea-output',
  },
  {
    image: 'berth/singleuser:test', version: '3.0.0', ui: 'tree', title: 'Home', sameMajor: false, showsHubLogo: true,
    notebook: 'notebooks/', kernelIdle: '#kernel_indicator_icon.kernel_idle_icon', cell: '#notebook .cell', output: '.output_area',
  },
];

/** One code cell that prints 42 and the user the kernel runs for. */
const NOTEBOOK = {
  cells: [{ cell_type: 'code', source: 'import os\nprint(6 * 7, os.environ["JUPYTERHUB_USER"])', metadata: {}, outputs: [], execution_count: null }],
  metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
  nbformat: 4,
  nbformat_minor: 4,
};

describe.each(GENERATIONS)('an unmodified jupyterhub-singleuser $version ($image) behind Berth', (gen) => {
  let gh: FakeGithub;
  let t: TestHub;
  let alice: CookieClient;
  // A browser per hub: both hubs listen on 127.0.0.1, and cookies do not tell ports apart.
  let browser: BrowserContext;
  /** The hub's log lines, to see the calls the single-user server makes to the hub's internal API. */
  const logLines: { url?: string; method?: string; status?: number }[] = [];
  const logSink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });

  async function signIn(login: string): Promise<CookieClient> {
    gh.login = login;
    const client = new CookieClient(t.url);
    const home = await client.navigate('/hub/oauth_login?next=%2Fhub%2Fhome');
    expect(home.status).toBe(200);
    expect(new URL(client.hops.at(-1)!.url).pathname).toBe('/hub/home');
    expect(client.cookie('jupyterhub-hub-login')).toBeDefined();
    return client;
  }

  beforeAll(async () => {
    gh = await startFakeGithub({ clientId: 'cid', clientSecret: 'csecret', login: 'Alice' });
    t = await startTestHub({
      hub: { bind: `127.0.0.1:${await freePort()}` },
      auth: { allowed_users: ['alice', 'bob', 'carol'], github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl } },
      // Report activity every 2 s instead of 300 s, so the test sees jupyterhub-singleuser's own activity POSTs.
      spawner: { image: gen.image, start_timeout: 120, http_timeout: 60, environment: { JUPYTERHUB_ACTIVITY_INTERVAL: '2' } },
    }, { overrides: { logger: createLogger('info', logSink) } });
    alice = await signIn('Alice');
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.cleanup();
    await gh?.close();
  });

  it('lets carol, in chromium, sign in through GitHub, start her server, land in its default UI and run a cell', async () => {
    gh.login = 'Carol';
    const page = await browser.newPage();
    const navigations: string[] = [];
    page.on('request', (r) => { if (r.isNavigationRequest()) navigations.push(new URL(r.url()).pathname); });
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    const logos: number[] = [];
    page.on('response', (r) => { if (new URL(r.url()).pathname === '/hub/logo') logos.push(r.status()); });

    await signInWithGithub(page, t.url);
    await page.click('#start');
    await page.waitForURL((url) => url.pathname.replace(/\/$/, '') === `/user/carol/${gen.ui}`, { timeout: 120_000 });
    expect(navigations).toEqual(expect.arrayContaining(['/hub/spawn-pending/carol', '/hub/api/oauth2/authorize', '/user/carol/oauth_callback']));
    expect(await page.title()).toContain(gen.title);
    const [container] = await t.docker.listContainers({ filters: { label: ['berth.user=carol', `berth.test-run=${t.labels['berth.test-run']}`] } });
    const log = String(await t.docker.getContainer(container!.Id).logs({ stdout: true, stderr: true }));
    expect(log).toContain(`version ${gen.version}`);
    if (gen.sameMajor) expect(log).not.toMatch(/jupyterhub version \S+ != jupyterhub-singleuser version/);
    // The classic notebook's pages show the hub's logo (the 3.x single-user page template loads /hub/logo).
    if (gen.showsHubLogo) await expect.poll(() => logos, { timeout: 15_000 }).toContain(200);

    // The notebook and its kernel session are made through the server's REST API with the browser's cookies and
    // the server's _xsrf, as the UI's scripts would; the UI then opens the notebook, joins that session's kernel
    // over its WebSocket and runs the cell. (Left to start a kernel itself, JupyterLab may ask which one first.)
    const api = `${t.url}/user/carol/api`;
    const headers = { 'X-XSRFToken': (await browser.cookies(api)).find((c) => c.name === '_xsrf')?.value ?? '' };
    expect((await page.request.put(`${api}/contents/e2e.ipynb`, { headers, data: { type: 'notebook', format: 'json', content: NOTEBOOK } })).status()).toBe(201);
    const session = await page.request.post(`${api}/sessions`, { headers, data: { path: 'e2e.ipynb', type: 'notebook', name: '', kernel: { name: 'python3' } } });
    expect(session.status()).toBe(201);
    const kernelId = ((await session.json()) as { kernel: { id: string } }).kernel.id;
    await page.goto(`${t.url}/user/carol/${gen.notebook}e2e.ipynb`);
    // Run only once the UI has its kernel: a cell run before that asks which kernel to start (lab) or is dropped (classic).
    await page.locator(gen.kernelIdle).waitFor({ timeout: 60_000 });
    await page.locator(gen.cell).first().click();
    await page.keyboard.press('Shift+Enter');
    const output = page.locator(gen.output, { hasText: '42' }).first();
    await output.waitFor({ timeout: 60_000 });
    expect((await output.innerText()).trim()).toBe('42 carol');
    expect(sockets).toContainEqual(expect.stringContaining(`${t.url.replace(/^http/, 'ws')}/user/carol/api/kernels/${kernelId}/channels`));
    await page.close();
  }, 240_000);

  // alice's server, started once by whichever test needs it first, so the tests run in any order; a test that goes
  // through the OAuth dance or signs out does it in a browser session of its own (signIn).
  let aliceStart: Promise<void> | undefined;
  const aliceServer = () => (aliceStart ??= (async () => {
    const res = await alice.request('/hub/api/users/alice/server', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect([201, 202]).toContain(res.status);
    await expect.poll(() => t.hub.servers.get('alice')?.status, { timeout: 120_000, interval: 500 }).toBe('running');
  })());

  it('starts alice\'s server from her browser session', async () => {
    await aliceServer();
  }, 150_000);

  it('completes the OAuth dance when alice opens /user/alice/ through the proxy', async () => {
    await aliceServer();
    const alice = await signIn('Alice');
    const res = await alice.navigate(`/user/alice/${gen.ui}`);
    const trail = alice.hops.map((h) => `${h.status} ${new URL(h.url).pathname}`).join(' → ');
    expect(res.status, trail).toBe(200);
    expect(await res.text()).toContain(`<title>${gen.title}`);
    const paths = alice.hops.map((h) => new URL(h.url).pathname);
    expect(paths).toContain('/hub/api/oauth2/authorize');
    expect(paths).toContain('/user/alice/oauth_callback');
    expect(alice.cookie('jupyterhub-user-alice')).toBeDefined();
  }, 60_000);

  it('creates a kernel over the notebook REST API and runs code over the kernel WebSocket', async () => {
    await aliceServer();
    const alice = await signIn('Alice');
    expect((await alice.navigate(`/user/alice/${gen.ui}`)).status).toBe(200);
    const created = await alice.request('/user/alice/api/kernels', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-XSRFToken': alice.cookie('_xsrf', '/user/alice/api/kernels') ?? '' },
      body: JSON.stringify({ name: 'python3' }),
    });
    expect(created.status).toBe(201);
    const kernel = (await created.json()) as { id: string };

    const session = randomUUID().replace(/-/g, '');
    const wsUrl = `${t.url.replace(/^http/, 'ws')}/user/alice/api/kernels/${kernel.id}/channels?session_id=${session}`;
    const ws = new WebSocket(wsUrl, { headers: { Cookie: alice.cookieHeader(`${t.url}/user/alice/api/kernels`) } });
    const msgId = randomUUID();
    const output = new Promise<string>((resolve, reject) => {
      let text = '';
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as { msg_type: string; parent_header: { msg_id?: string }; content: Record<string, unknown> };
        if (msg.parent_header.msg_id !== msgId) return;
        if (msg.msg_type === 'stream') text += String(msg.content.text);
        if (msg.msg_type === 'error') reject(new Error(`kernel error: ${String(msg.content.evalue)}`));
        if (msg.msg_type === 'status' && msg.content.execution_state === 'idle' && text) resolve(text);
      });
      ws.on('error', reject);
      ws.on('unexpected-response', (_req, res) => reject(new Error(`websocket refused: ${res.statusCode}`)));
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`websocket refused: ${res.statusCode}`)));
    });
    ws.send(JSON.stringify({
      header: { msg_id: msgId, username: 'alice', session, msg_type: 'execute_request', version: '5.3', date: new Date().toISOString() },
      parent_header: {}, metadata: {}, channel: 'shell', buffers: [],
      content: { code: 'import os\nprint(6 * 7, os.environ["JUPYTERHUB_USER"])', silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true },
    }));
    expect(await output).toBe('42 alice\n');
    ws.close();
  }, 60_000);

  it('accepts the activity jupyterhub-singleuser reports with its server token', async () => {
    await aliceServer();
    await expect.poll(() => logLines.filter((l) => l.method === 'POST' && l.url === '/hub/api/users/alice/activity'), { timeout: 20_000, interval: 500 })
      .toContainEqual(expect.objectContaining({ status: 200 }));
    expect(logLines.filter((l) => l.url === '/hub/api/users/alice/activity' && l.status !== 200)).toEqual([]);
    expect(t.users.get('alice')?.lastActivity).toBeInstanceOf(Date);
  }, 30_000);

  it('lets a token into alice\'s server only when it holds access:servers for that server', async () => {
    await aliceServer();
    const tokens = createTokenStore(t.hub.db);
    const aliceId = t.users.get('alice')!.id;
    const issue = (userId: number, scopes: string[]) => tokens.issue({ userId, scopes, note: 'e2e' }).token;
    // The single-user server asks the hub who the token is (GET /hub/api/user) and checks the scopes it gets back.
    const status = async (token: string) => (await fetch(`${t.url}/user/alice/api/status`, { headers: { Authorization: `token ${token}` }, redirect: 'manual' })).status;
    expect(await status(issue(aliceId, ['access:servers!server=alice/']))).toBe(200);
    expect(await status(issue(aliceId, ['inherit']))).toBe(200);
    expect(await status(issue(aliceId, ['read:users!user=alice', 'servers!user=alice']))).toBe(403);
    expect(await status(issue(t.users.ensure('bob').id, ['inherit']))).toBe(403);
    // An admin reaches other users' servers only with hub.admin_access (off here).
    expect(await status(issue(t.users.ensure('admin', { admin: true }).id, ['inherit']))).toBe(403);
  }, 60_000);

  it('gives bob, signed in to the hub, a 403 at /user/alice/ and no access to her API', async () => {
    await aliceServer();
    const bob = await signIn('Bob');
    const res = await bob.navigate(`/user/alice/${gen.ui}`);
    const trail = bob.hops.map((h) => `${h.status} ${new URL(h.url).pathname}`).join(' → ');
    expect(res.status, trail).toBe(403);
    expect(new URL(bob.hops.at(-1)!.url).pathname).toBe('/hub/api/oauth2/authorize');
    expect(bob.cookie('jupyterhub-user-alice')).toBeUndefined();
    expect((await bob.request('/user/alice/api/kernels')).status).toBe(403);
  }, 60_000);

  it('revokes the OAuth token alice\'s server holds when she signs out of the hub', async () => {
    await aliceServer();
    const alice = await signIn('Alice');
    expect((await alice.navigate(`/user/alice/${gen.ui}`)).status).toBe(200);
    // This browser session's tokens: the other tests' sessions hold tokens for alice's server too.
    const session = alice.cookie('jupyterhub-session-id');
    expect(session).toBeDefined();
    const oauthTokens = () => t.hub.db.$client
      .prepare("SELECT count(*) AS n FROM api_tokens WHERE client_id = 'jupyterhub-user-alice' AND session_id = ?").get(session) as { n: number };
    expect(oauthTokens().n).toBeGreaterThan(0);
    const out = await alice.navigate('/hub/logout');
    expect(out.status).toBe(200);
    expect(oauthTokens().n).toBe(0);
    expect(alice.cookie('jupyterhub-hub-login')).toBeUndefined();
  }, 30_000);
});
