// /hub/logo and /hub/favicon.ico: the images notebook, lab and hub pages load. Berth's own, or hub.logo_file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';

let t: ApiApp;
beforeAll(() => {
  t = createApiApp();
});
afterAll(() => t.close());

describe('GET /hub/logo', () => {
  it("serves Berth's SVG logo, cacheable and revalidated by ETag, and scriptless when opened on its own", async () => {
    const res = await t.request('/hub/logo');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    expect(res.headers.get('x-jupyterhub-version')).toBe('5.2.1');
    expect(await res.text()).toMatch(/^<svg [^>]*aria-label="Berth"/);
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await t.request('/hub/logo', { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('is served to a signed-in browser embedding it in a page (an image request, not a navigation)', async () => {
    const cookie = await t.signIn('alice');
    const res = await t.request('/hub/logo', { headers: { Cookie: cookie, 'Sec-Fetch-Dest': 'image', 'Sec-Fetch-Mode': 'no-cors' } });
    expect(res.status).toBe(200);
    // Hub pages themselves are still refused to such requests.
    expect((await t.request('/hub/home', { headers: { Cookie: cookie, 'Sec-Fetch-Dest': 'image' } })).status).toBe(403);
  });

  it('serves /hub/favicon.ico as an ICO', async () => {
    const res = await t.request('/hub/favicon.ico');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/x-icon');
    expect([...new Uint8Array(await res.arrayBuffer()).subarray(0, 4)]).toEqual([0, 0, 1, 0]);
  });

  it('serves hub.logo_file instead, with the type its extension names', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-logo-'));
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    writeFileSync(path.join(dir, 'site.png'), png);
    const s = createApiApp({ hub: { logo_file: path.join(dir, 'site.png') } });
    try {
      const res = await s.request('/hub/logo');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await res.arrayBuffer())).toEqual(png);
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
