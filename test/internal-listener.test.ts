// The listener containers reach the hub on: the REST API only, never pages such as the sign-in form.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenInternal, type InternalListener } from '../src/internal-listener.js';

let internal: InternalListener;
let origin: string;

beforeAll(async () => {
  internal = await listenInternal((req, res) => res.end(`app got ${req.url}`), { listenHost: '127.0.0.1', connectHost: '127.0.0.1', port: 0, baseUrl: '/base/' });
  origin = new URL(internal.apiUrl).origin;
});
afterAll(() => internal.close());

describe('the internal listener', () => {
  it('passes <base_url>hub/api and everything under it to the app', async () => {
    expect(internal.apiUrl).toBe(`${origin}/base/hub/api`);
    expect(await (await fetch(`${internal.apiUrl}`)).text()).toBe('app got /base/hub/api');
    expect(await (await fetch(`${internal.apiUrl}/users/alice/activity?x=1`)).text()).toBe('app got /base/hub/api/users/alice/activity?x=1');
  });

  it('answers 404 for pages and anything else, without reaching the app', async () => {
    for (const path of ['/base/hub/login', '/base/hub/', '/base/hub/apix', '/base/user/alice/', '/']) {
      const res = await fetch(`${origin}${path}`, { method: path.endsWith('login') ? 'POST' : 'GET' });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { message: string }).message).toContain('Only /base/hub/api/ is served to containers');
    }
  });
});
