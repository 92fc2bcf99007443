// The rules of the pages that start servers, through the hub's app with the fake spawner: where the home page's
// Start goes (the options page only when there is a choice), what the options page offers (an admin's pin as the
// only, marked, card), and a failed start's page (the reason once, the server's log lines apart, Try again).
import { afterAll, describe, expect, it } from 'vitest';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';

const CATALOG = {
  lab: { image: 'berth/backend:test', description: 'JupyterLab' },
  r: { image: 'berth/backend:test', description: 'R' },
};
const apps: ApiApp[] = [];
afterAll(() => Promise.all(apps.map((a) => a.close())));

function hub(spawner: Record<string, unknown>, users: Record<string, unknown> = {}): ApiApp {
  const t = createApiApp({ spawner: { image: 'berth/backend:test', ...spawner }, users } as Parameters<typeof createApiApp>[0]);
  apps.push(t);
  return t;
}

async function page(t: ApiApp, user: string, path: string): Promise<{ status: number; html: string }> {
  const res = await t.request(path, { headers: { cookie: await t.signIn(user) } });
  return { status: res.status, html: await res.text() };
}

const startControl = (html: string) => /<(a|form) [^>]*data-control="start"[^>]*>/.exec(html)?.[0] ?? '';

describe('the home page\'s Start', () => {
  it('goes to the options page when the catalog offers a choice', async () => {
    const t = hub({ images: CATALOG });
    const { html } = await page(t, 'alice', '/hub/home');
    expect(startControl(html)).toMatch(/^<a [^>]*href="\/hub\/spawn\/alice"/);
  });

  it('starts at once when there is one image, or an administrator pinned one', async () => {
    const one = await page(hub({}), 'alice', '/hub/home');
    expect(startControl(one.html)).toMatch(/^<form method="post" action="\/hub\/spawn\/alice"/);
    const pinned = await page(hub({ images: CATALOG }, { alice: { image: 'r' } }), 'alice', '/hub/home');
    expect(startControl(pinned.html)).toMatch(/^<form method="post"/);
  });

  it('offers the named-server form only when named servers are on', async () => {
    expect((await page(hub({}), 'alice', '/hub/home')).html).not.toContain('id="new-server"');
    const on = await page(hub({ allow_named_servers: true, named_server_limit_per_user: 2 }), 'alice', '/hub/home');
    expect(on.html).toContain('<form method="get" action="/hub/spawn/alice"');
    expect(on.html).toContain('At most 2 named servers.');
  });
});

describe('the options page', () => {
  it('shows each catalog entry as a card with its resources, the last pick preselected', async () => {
    const t = hub({ images: CATALOG, mem_limit: '1G', cpu_limit: 2 });
    t.deps.users.ensure('alice');
    t.deps.users.update('alice', { userImage: 'r' });
    const { html } = await page(t, 'alice', '/hub/spawn/alice');
    expect(html).toMatch(/<input [^>]*value="lab" id="choice-lab"(?![^>]*checked)/);
    expect(html).toMatch(/<input [^>]*value="r" id="choice-r" checked=""/);
    expect(html).toContain('<dt class="col-4">Memory</dt><dd class="col-8 text-break mb-1"><code>1 GiB</code></dd>');
    expect(html).toContain('<dt class="col-4">CPUs</dt><dd class="col-8 text-break mb-1"><code>2</code></dd>');
  });

  it('shows only an administrator\'s pin, marked as such', async () => {
    const { html } = await page(hub({ images: CATALOG }, { alice: { image: 'r' } }), 'alice', '/hub/spawn/alice');
    expect(html).toContain('id="pinned">Set by an administrator</span>');
    expect(html).toContain('<input type="hidden" name="image" value="r"/>');
    expect(html).not.toContain('value="lab"');
  });

  it('sends the named-server form on to the server\'s own options page, and refuses a bad name there', async () => {
    const t = hub({ allow_named_servers: true });
    const cookie = await t.signIn('alice');
    const res = await t.request('/hub/spawn/alice?server=work', { headers: { cookie } });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/hub/spawn/alice/work');
    const bad = await page(t, 'alice', '/hub/spawn/alice/Not%20Good');
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('a server name is 1 to 30 characters');
  });
});

describe('a failed start', () => {
  it('shows its reason once, the server\'s last log lines apart, Try again and Back home', async () => {
    const t = hub({});
    t.deps.users.ensure('carol');
    await t.request('/hub/api/'); // the hub has started
    t.spawner.behave('carol', { fail: 'The server exited with code 1. Last log lines:\nImportError: <no module>' });
    await t.hub.servers.start('carol').catch(() => undefined);
    const { status, html } = await page(t, 'carol', '/hub/spawn-pending/carol');
    expect(status).toBe(200);
    expect(html.split('The server exited with code 1.').length - 1).toBe(1);
    expect(html).toMatch(/<div class="alert alert-danger" id="failed" role="alert">Spawn failed: The server exited with code 1.<\/div>/);
    expect(html).toMatch(/<pre [^>]*id="log-tail"[^>]*>ImportError: &lt;no module&gt;<\/pre>/);
    expect(html).toContain('class="progress-bar bg-danger"');
    expect(html).toMatch(/<form method="post" action="\/hub\/spawn\/carol" id="retry">/);
    expect(html).toContain('id="back-home"');
    expect(html).toContain('did not start</h1>');
  });
});

describe('a named server that is not running', () => {
  it('gets its own "not running" page at /hub/user/<name>/<server>/…, whose Launch starts that server', async () => {
    const t = hub({ allow_named_servers: true });
    await t.startServer('alice');
    await t.hub.servers.start('alice', {}, { server: 'work' });
    await t.hub.servers.stop('alice', { server: 'work' });
    const { status, html } = await page(t, 'alice', '/hub/user/alice/work/lab?x=1');
    expect(status).toBe(424);
    expect(html).toContain('Your server work is not running.');
    expect(html).toContain(`action="/hub/spawn/alice/work?next=${encodeURIComponent('/user/alice/work/lab?x=1')}"`);
    // A first segment that is no server of hers is a path of her default server, which runs.
    const other = await t.request('/hub/user/alice/tree/x', { headers: { cookie: await t.signIn('alice') } });
    expect(other.status).toBe(302);
    expect(other.headers.get('location')).toBe('/user/alice/tree/x?redirects=1');
  });
});
