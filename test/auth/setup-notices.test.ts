// What a new operator is told about a half-finished setup (issue 14, point 6): a hub without an admin starts and says
// how to name one, in the log and on the login page; a sign-in started on a host that is not hub.public_url's is
// logged once per host, since the provider would send the browser back to public_url.
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';
import { waitFor } from '../helpers/wait-for.js';

function logSink() {
  const lines: Record<string, unknown>[] = [];
  const sink = { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)) };
  return { lines, logger: createLogger('info', sink) };
}

const apps: ApiApp[] = [];
afterAll(() => Promise.all(apps.map((a) => a.close())));

function app(config: Parameters<typeof createApiApp>[0]) {
  const log = logSink();
  const t = createApiApp(config, { logger: log.logger });
  apps.push(t);
  return { t, log };
}

describe('a hub whose hub.yaml names no admin', () => {
  it('starts, and its log and login page say how to name one', async () => {
    const { t, log } = app({ auth: { admin_users: [], allowed_users: ['bob'] } });
    const page = await t.request('/hub/login');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/id="no-admin">No admin is named, so nobody can manage users or servers\. To name an admin, set auth\.admin_users in hub\.yaml \(with docker compose: BERTH_ADMIN=&lt;your login&gt;/);
    await waitFor(() => expect(log.lines.find((l) => l.level === 'warn' && String(l.msg).startsWith('No admin is named'))?.msg)
      .toContain('set auth.admin_users in hub.yaml (with docker compose: BERTH_ADMIN=<your login>'));
  });

  it('starts even when nothing admits anyone, and says which keys to set', async () => {
    const { t } = app({ auth: { admin_users: [] } });
    const html = await (await t.request('/hub/login')).text();
    expect(html).toContain('No admin is named and the access policy admits nobody: set auth.admin_users, auth.allowed_users');
  });

  it('shows no notice once an admin is named', async () => {
    const { t, log } = app({ auth: { admin_users: ['alice'] } });
    expect(await (await t.request('/hub/login')).text()).not.toContain('id="no-admin"');
    await waitFor(() => expect(log.lines.some((l) => l.msg === 'hub listening')).toBe(true));
    expect(log.lines.filter((l) => String(l.msg).includes('No admin is named'))).toEqual([]);
  });
});

describe('a sign-in started on another host than hub.public_url', () => {
  it('is logged once per host, naming public_url and BERTH_PUBLIC_URL; the public host itself is not', async () => {
    const { t, log } = app({ hub: { public_url: 'https://hub.example.org' }, auth: { github: { client_id: 'id', client_secret: 'secret' } } });
    const start = (host: string) => t.request('/hub/oauth_login', { headers: { 'X-Forwarded-Host': host }, redirect: 'manual' });
    for (const host of ['localhost:18431', 'localhost:18431', 'hub.example.org', '10.0.0.5:8000']) expect((await start(host)).status).toBe(302);
    const warnings = () => log.lines.filter((l) => l.level === 'warn' && String(l.msg).startsWith('A sign-in started at'));
    await waitFor(() => expect(warnings().map((l) => l.host)).toEqual(['localhost:18431', '10.0.0.5:8000']));
    expect(warnings()[0]?.msg).toBe(
      'A sign-in started at localhost:18431, but hub.public_url is https://hub.example.org: the sign-in provider (GitHub\'s ' +
        'redirect_uri) sends the browser back to https://hub.example.org, not to localhost:18431. Set hub.public_url (with ' +
        'docker compose: BERTH_PUBLIC_URL) to the URL users open, and register its callback with the provider.',
    );
  });
});
