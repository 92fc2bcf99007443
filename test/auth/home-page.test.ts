// /hub/home through a whole hub with a real server container: the page follows the server state (stopped,
// starting, running) with the matching controls, and links to /hub/token, and to /hub/admin only for admins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { CookieJar } from '../helpers/cookie-jar.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

let gh: FakeGithub;
let t: TestHub;

beforeAll(async () => {
  gh = await startFakeGithub({ clientId: 'cid', clientSecret: 'csecret' });
  t = await startTestHub({
    auth: { admin_users: ['admin'], allowed_users: ['alice'], github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl } },
    // A server that takes two seconds to listen, so "starting" is a state the page can be seen in.
    spawner: { environment: { BACKEND_DELAY_S: 2 } },
  });
});
afterAll(async () => {
  await t?.cleanup();
  await gh?.close();
});

async function signIn(login: string): Promise<CookieJar> {
  const jar = new CookieJar();
  gh.login = login;
  const start = await jar.fetch(`${t.url}/hub/oauth_login`);
  const back = new URL((await jar.fetch(start.headers.get('location')!)).headers.get('location')!);
  // The hub listens on port 0, so follow GitHub's redirect to the real port by hand.
  expect((await jar.fetch(`${t.url}${back.pathname}${back.search}`)).status).toBe(302);
  return jar;
}

async function home(jar: CookieJar): Promise<string> {
  const res = await jar.fetch(`${t.url}/hub/home`);
  expect(res.status).toBe(200);
  return res.text();
}

const stateOf = (html: string) => /id="server-default" data-server="" data-state="([a-z]+)"/.exec(html)?.[1];
/** The controls of the default server's card that are not hidden, in page order. */
const shownControls = (html: string) => {
  const card = html.slice(html.indexOf('id="server-default"'));
  return [...card.matchAll(/<[a-z]+ [^>]*data-control="([a-z]+)"[^>]*>/g)].filter((m) => !/ hidden=""/.test(m[0])).map((m) => m[1]);
};

describe('the home page', () => {
  it('links a user to /hub/token and not to /hub/admin; an admin also to /hub/admin', async () => {
    const alice = await home(await signIn('alice'));
    expect(alice).toContain('href="/hub/token" id="token-link"');
    expect(alice).not.toContain('/hub/admin');
    const admin = await home(await signIn('admin'));
    expect(admin).toContain('href="/hub/token" id="token-link"');
    expect(admin).toContain('href="/hub/admin" id="admin-link"');
  });

  it('shows the server as stopped, starting, then running, with start, progress, open and stop controls', async () => {
    const jar = await signIn('alice');
    const stopped = await home(jar);
    expect(stateOf(stopped)).toBe('stopped');
    expect(stopped).toContain('>Stopped</span>');
    // One image only: Start posts at once, no options page between.
    expect(stopped).toContain('<form method="post" action="/hub/spawn/alice"');
    expect(shownControls(stopped)).toEqual(['start']);

    expect(await t.hub.servers.start('alice', {}, { waitMs: 0 })).toBe('pending');
    const starting = await home(jar);
    expect(stateOf(starting)).toBe('starting');
    expect(starting).toContain('href="/hub/spawn-pending/alice" data-control="progress"');
    expect(shownControls(starting)).toEqual(['progress', 'stop']);

    for (let i = 0; i < 300 && !t.hub.servers.get('alice')!.ready; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const running = await home(jar);
    expect(stateOf(running)).toBe('running');
    expect(running).toContain('>Running</span>');
    expect(running).toContain('href="/user/alice/" data-control="open"');
    expect(running).toContain('data-url="/hub/api/users/alice/server"');
    expect(shownControls(running)).toEqual(['open', 'stop']);

    await t.hub.servers.stop('alice');
    expect(stateOf(await home(jar))).toBe('stopped');
  });
});
