// The admin page says why the idle culler stopped a server (issue 14, point 3), on the fake spawner with a clock the
// test moves: the reason and when, until the server's next start.
import { afterAll, expect, it } from 'vitest';
import { createApiApp } from '../helpers/api-app.js';

const clock = { at: Date.now(), now: () => clock.at };
const t = createApiApp({ culler: { timeout: '1h' } }, { clock });
afterAll(() => t.close());

it('shows a culled server with its reason on the admin page, and drops it once the server starts again', async () => {
  const admin = t.tokenFor('admin', ['inherit'], { admin: true });
  const start = () => t.request('/hub/api/users/alice/server', { method: 'POST', token: admin });
  t.hub.stores.users.ensure('alice');
  expect((await start()).status).toBeLessThan(300);
  clock.at += 2 * 3600_000;
  await t.hub.servers.cull();
  const page = async () => (await t.request('/hub/admin', { headers: { Cookie: await t.signIn('admin') } })).text();
  expect(await page()).toMatch(/data-culled="">culled: idle 2h, /);
  expect((await start()).status).toBeLessThan(300);
  expect(await page()).not.toContain('data-culled');
});
