// The browser pages that start servers, against a whole hub with a signed-in session: /hub/user/<name>/…
// (login redirect, 424 page, JSON 424, back to the server with a redirect counter and loop guard), /hub/spawn
// (image choice, start) and /hub/spawn-pending (progress page, failure, moving on when ready).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CookieJar } from '../helpers/cookie-jar.js';
import { sessionCookies } from '../helpers/session-cookies.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

let t: TestHub;

/** A browser signed in as `name`: a real session row and the hub's real cookies. */
async function signedIn(name: string): Promise<CookieJar> {
  const jar = new CookieJar();
  for (const line of await sessionCookies(t, name)) {
    const [pair] = line.split(';');
    jar.cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
  }
  return jar;
}

const xsrfOf = (html: string) => /name="_xsrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
const formPost = (jar: CookieJar, url: string, fields: Record<string, string>) =>
  jar.fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

beforeAll(async () => {
  t = await startTestHub({
    spawner: {
      environment: { BACKEND_DELAY_S: 2 },
      images: {
        base: { image: 'berth/backend:test', description: 'Test backend' },
        other: { image: 'berth/backend:test', description: 'Same, by another name' },
        broken: { image: 'berth/not-built-anywhere:test', description: 'Missing on purpose' },
      },
    },
  });
});
afterAll(() => t?.cleanup());

// Each test that starts a server has a user of its own (erin, dora, bob), so alice's server is never started and
// the tests run in any order.

describe('/hub/user/<name>/…', () => {
  it('sends a browser without a session to the login page, keeping where it was going', async () => {
    const res = await new CookieJar().fetch(`${t.url}/hub/user/alice/tree?x=1`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`/hub/login?next=${encodeURIComponent('/hub/user/alice/tree?x=1')}`);
  });

  it('offers to start a stopped server with a 424 page whose form posts to /hub/spawn/<name>', async () => {
    const alice = await signedIn('alice');
    const res = await alice.fetch(`${t.url}/hub/user/alice/tree`);
    expect(res.status).toBe(424);
    const html = await res.text();
    expect(html).toContain(`action="/hub/spawn/alice?next=${encodeURIComponent('/user/alice/tree')}"`);
    expect(xsrfOf(html)).not.toBe('');
  });

  it('answers 424 JSON to API-like requests for a stopped server', async () => {
    const alice = await signedIn('alice');
    const res = await alice.fetch(`${t.url}/hub/user/alice/api/contents`, { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(424);
    expect(await res.json()).toEqual({ status: 424, message: "alice's server is not running" });
  });

  it("answers 404 for another user's server", async () => {
    const bob = await signedIn('bob');
    expect((await bob.fetch(`${t.url}/hub/user/alice/tree`)).status).toBe(404);
  });
});

describe('/hub/user-redirect/…', () => {
  it("sends the signed-in user to the same path on their own server, and others to the login page first", async () => {
    const bob = await signedIn('bob');
    const res = await bob.fetch(`${t.url}/hub/user-redirect/git-pull?repo=x`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/user/bob/git-pull?repo=x');
    const anonymous = await new CookieJar().fetch(`${t.url}/hub/user-redirect/lab`);
    expect(anonymous.headers.get('location')).toBe(`/hub/login?next=${encodeURIComponent('/hub/user-redirect/lab')}`);
  });
});

describe('starting from the pages', () => {
  it('shows the catalog as a choice on /hub/spawn', async () => {
    const alice = await signedIn('alice');
    const res = await alice.fetch(`${t.url}/hub/spawn`);
    expect(res.status).toBe(200);
    const html = await res.text();
    for (const label of ['base', 'other', 'broken']) expect(html).toContain(`name="image" value="${label}"`);
    expect(html).toContain('action="/hub/spawn/alice"');
  });

  it('starts the chosen image, shows the progress page, then sends the browser to the server', async () => {
    const erin = await signedIn('erin');
    const form = await (await erin.fetch(`${t.url}/hub/user/erin/tree`)).text();
    const next = encodeURIComponent('/user/erin/tree');
    const res = await formPost(erin, `${t.url}/hub/spawn/erin?next=${next}`, { _xsrf: xsrfOf(form), image: 'other' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/hub/spawn-pending/erin?next=${next}`);
    expect(t.hub.servers.get('erin')).toMatchObject({ pending: 'spawn', imageLabel: 'other' });

    const pending = await erin.fetch(`${t.url}/hub/spawn-pending/erin?next=${next}`);
    expect(pending.status).toBe(200);
    const html = await pending.text();
    // EventSource cannot send X-XSRFToken, so the progress URL carries the session's _xsrf.
    const progressUrl = /data-progress-url="([^"]+)"/.exec(html)![1].replaceAll('&amp;', '&');
    expect(progressUrl).toBe(`/hub/api/users/erin/server/progress?_xsrf=${encodeURIComponent(xsrfOf(form))}`);
    expect(html).toContain('data-next="/user/erin/tree"');
    expect(html).toContain('new EventSource(');

    // The page's EventSource reads the same stream, with the session cookie (fetch() sends Sec-Fetch-Mode: cors).
    const stream = await erin.fetch(`${t.url}${progressUrl}`);
    expect(stream.status).toBe(200);
    expect(await stream.text()).toContain('"ready":true');

    const ready = await erin.fetch(`${t.url}/hub/spawn-pending/erin?next=${next}`);
    expect(ready.status).toBe(302);
    expect(ready.headers.get('location')).toBe('/user/erin/tree');
  });

  it('sends /hub/user/<name>/… back to the running server with a redirect counter, and stops a loop', async () => {
    const dora = await signedIn('dora');
    await t.hub.servers.start('dora');
    await vi.waitFor(() => expect(t.hub.servers.get('dora')!.ready).toBe(true), { timeout: 30_000 });
    const res = await dora.fetch(`${t.url}/hub/user/dora/tree?a=b`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/user/dora/tree?a=b&redirects=1');
    const again = await dora.fetch(`${t.url}/hub/user/dora/tree?a=b&redirects=3`);
    expect(again.headers.get('location')).toBe('/user/dora/tree?a=b&redirects=4');
    const loop = await dora.fetch(`${t.url}/hub/user/dora/tree?redirects=4`);
    expect(loop.status).toBe(500);
    expect(await loop.text()).toContain('Redirect loop detected');
  });

  it('shows a failed start on the pending page with a way to try again', async () => {
    const bob = await signedIn('bob');
    const form = await (await bob.fetch(`${t.url}/hub/spawn/bob`)).text();
    const res = await formPost(bob, `${t.url}/hub/spawn/bob`, { _xsrf: xsrfOf(form), image: 'broken' });
    expect(res.status).toBe(303);
    await vi.waitFor(() => expect(t.hub.servers.get('bob')!.status).toBe('stopped'), { timeout: 10_000 });
    const back = await bob.fetch(`${t.url}/hub/user/bob/`);
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe(`/hub/spawn-pending/bob?next=${encodeURIComponent('/user/bob/')}`);
    const page = await bob.fetch(`${t.url}${back.headers.get('location')}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Spawn failed: Image berth/not-built-anywhere:test is not on the Docker host');
    expect(html).toContain('id="retry"');
  });

  it('refuses an image outside the catalog posted by the form', async () => {
    const carol = await signedIn('carol');
    const form = await (await carol.fetch(`${t.url}/hub/spawn/carol`)).text();
    const res = await formPost(carol, `${t.url}/hub/spawn/carol`, { _xsrf: xsrfOf(form), image: 'berth/backend:test' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('is not in the catalog');
    expect(t.hub.servers.get('carol')!.status).toBe('stopped');
  });
});
