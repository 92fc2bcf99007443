// The frame every page shares: assets served by the hub with long cache headers, the top bar for who is looking,
// the announcement as text, and error pages in the same frame.
import { afterAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../helpers/api-app.js';

const t = createApiApp({ hub: { announcement: 'Maintenance <b>tonight</b> & "tomorrow"' } });
afterAll(() => t.close());

const assetUrls = (html: string) => [...html.matchAll(/(?:href|src)="(\/hub\/static\/[^"]+)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));

describe('page assets', () => {
  it('serves Bootstrap and the page script from the hub, cacheable for a year under a content hash', async () => {
    const page = await (await t.request('/hub/nowhere')).text();
    const urls = assetUrls(page);
    expect(urls.some((u) => u.startsWith('/hub/static/bootstrap.min.css?v='))).toBe(true);
    expect(urls.some((u) => u.startsWith('/hub/static/berth.js?v='))).toBe(true);
    for (const url of urls) {
      const res = await t.request(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-type')).toMatch(/^text\/(css|javascript)/);
    }
    const css = await (await t.request(urls.find((u) => u.includes('bootstrap'))!)).text();
    expect(css).toContain('Bootstrap');
    expect(css).not.toContain('sourceMappingURL');
  });

  it('does not let an old or missing version be cached for long, and has no other files', async () => {
    const stale = await t.request('/hub/static/berth.css?v=old');
    expect(stale.status).toBe(200);
    expect(stale.headers.get('cache-control')).toBe('no-cache');
    expect((await t.request('/hub/static/../package.json')).status).toBe(404);
    const missing = await t.request('/hub/static/bootstrap.min.js');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('No such file: /hub/static/bootstrap.min.js');
  });

  it('serves the assets to a signed-in page loading them as a stylesheet or script', async () => {
    const cookie = await t.signIn('alice');
    const res = await t.request('/hub/static/berth.css', { headers: { cookie, 'sec-fetch-dest': 'style' } });
    expect(res.status).toBe(200);
  });
});

describe('the frame', () => {
  it('shows the top bar for the signed-in user: Home, Token, Admin only for admins, the name, Sign out', async () => {
    const alice = await (await t.request('/hub/nowhere', { headers: { cookie: await t.signIn('alice') } })).text();
    expect(alice).toContain('<img src="/hub/logo"');
    expect(alice).toContain('id="nav-home"');
    expect(alice).toContain('href="/hub/token" id="token-link"');
    expect(alice).not.toContain('/hub/admin');
    expect(alice).toContain('<strong id="signed-in-user">alice</strong>');
    expect(alice).toContain('href="/hub/logout" id="logout"');
    expect(alice).not.toContain('id="services-menu"');
    t.tokenFor('admin', ['inherit'], { admin: true });
    const admin = await (await t.request('/hub/nowhere', { headers: { cookie: await t.signIn('admin') } })).text();
    expect(admin).toContain('href="/hub/admin" id="admin-link"');
  });

  it('shows no user controls to a visitor who is not signed in', async () => {
    const page = await (await t.request('/hub/nowhere')).text();
    expect(page).not.toContain('id="logout"');
    expect(page).toContain('id="error-login"');
  });

  it('shows hub.announcement as text on every page, never as HTML', async () => {
    const page = await (await t.request('/hub/nowhere')).text();
    expect(page).toContain('Maintenance &lt;b&gt;tonight&lt;/b&gt; &amp; &quot;tomorrow&quot;');
    expect(page).not.toContain('<b>tonight');
  });

  it('follows the browser between light and dark before the first paint', async () => {
    const page = await (await t.request('/hub/nowhere')).text();
    expect(page).toMatch(/<head>[\s\S]*prefers-color-scheme: dark[\s\S]*data-bs-theme[\s\S]*<\/head>/);
  });
});

describe('error pages', () => {
  it('answers a browser with an HTML page in the frame: the status, the message, and where to go', async () => {
    const res = await t.request('/hub/nowhere', { headers: { cookie: await t.signIn('bob') } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toMatch(/id="error-status">404</);
    expect(page).toContain('id="error-home"');
  });

  it('still answers the API with JSON', async () => {
    const res = await t.request('/hub/api/nowhere');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });
});
