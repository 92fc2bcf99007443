// The GitHub stand-in from the tests (test/fakes/github.ts) on loopback, so bench hubs can sign users in,
// and one sign-in through the hub's real flow: /hub/oauth_login → GitHub authorize → /hub/oauth_callback.
import { randomBytes } from 'node:crypto';
import { startFakeGithub, type FakeGithub } from '../../test/fakes/github.js';

export interface BenchGithub {
  fake: FakeGithub;
  config: { url: string; apiUrl: string; clientId: string; clientSecret: string };
  close(): Promise<void>;
}

export async function startFakeGithubForBench(login = 'benchlogin'): Promise<BenchGithub> {
  const clientId = 'bench-client';
  const clientSecret = randomBytes(16).toString('hex');
  const fake = await startFakeGithub({ clientId, clientSecret, login });
  return { fake, config: { url: fake.url, apiUrl: fake.apiUrl, clientId, clientSecret }, close: () => fake.close() };
}

/**
 * Signs in through the hub's GitHub flow with plain HTTP requests (no browser) and returns the cookie header of the
 * signed-in session. Throws with the step that failed.
 */
export async function signInWithGithub(hubUrl: string): Promise<string> {
  const jar = new Map<string, string>();
  const remember = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const step = async (url: string, what: string, withCookie: boolean): Promise<string> => {
    const res = await fetch(url, { redirect: 'manual', headers: withCookie && jar.size > 0 ? { cookie: cookie() } : {} });
    await res.arrayBuffer();
    if (withCookie) remember(res);
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) throw new Error(`${what} answered ${res.status} (expected a redirect)`);
    return new URL(location, url).toString();
  };
  const authorize = await step(`${hubUrl}/hub/oauth_login`, 'GET /hub/oauth_login', true);
  const callback = await step(authorize, 'GitHub authorize', false);
  await step(callback, 'GET /hub/oauth_callback', true);
  if (![...jar.keys()].includes('jupyterhub-hub-login')) throw new Error('the callback set no jupyterhub-hub-login cookie');
  return cookie();
}
