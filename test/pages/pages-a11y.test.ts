// Every page this hub shows a person, in chromium at 1280 and 375 px wide, light and dark: axe-core finds no
// serious or critical violation, nothing is wider than the window, and a screenshot of each is written to
// test/screenshots/ (git-ignored; docs/ keeps a few). The hub runs with the fake spawner: these are the pages'
// own properties, not the servers'.
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { serve, type ServerType } from '@hono/node-server';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, type ApiApp } from '../helpers/api-app.js';
import { launchBrowser } from '../helpers/browser.js';

const SHOTS = path.join(import.meta.dirname, '..', 'screenshots');
const VIEWPORTS = [{ name: 'desktop', width: 1280, height: 800 }, { name: 'phone', width: 375, height: 740 }] as const;
const SCHEMES = ['light', 'dark'] as const;

let t: ApiApp;
let server: ServerType;
let origin: string;
let browser: BrowserContext;

beforeAll(async () => {
  t = createApiApp({
    hub: { announcement: 'The hub restarts on Friday at 18:00 UTC for maintenance.' },
    auth: { github: { client_id: 'cid', client_secret: 'csecret' } },
    spawner: {
      allow_named_servers: true,
      mem_limit: '2G',
      cpu_limit: 1.5,
      image: 'quay.io/jupyter/minimal-notebook:latest',
      images: {
        minimal: { image: 'quay.io/jupyter/minimal-notebook:latest', description: 'Python with JupyterLab, nothing else' },
        scipy: { image: 'quay.io/jupyter/scipy-notebook:latest', description: 'NumPy, pandas, matplotlib and friends' },
        r: { image: 'quay.io/jupyter/r-notebook:latest', description: 'R with the tidyverse' },
      },
    },
  });
  server = serve({ fetch: t.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
  mkdirSync(SHOTS, { recursive: true });

  // alice: a running default server, a named one whose start failed, a token and an authorized application.
  await t.startServer('alice');
  t.spawner.behave('alice/gpu', { fail: 'Image quay.io/jupyter/pytorch-notebook:cuda12 is not on the Docker host' });
  await t.hub.servers.start('alice', {}, { server: 'gpu' }).catch(() => undefined);
  const alice = t.deps.users.get('alice')!;
  t.deps.tokens.issue({ userId: alice.id, scopes: ['read:users!user'], note: 'laptop' });
  t.deps.oauthClients.register({ identifier: 'service-grader', description: 'Grader service', secret: 's', redirectUri: '/services/grader/oauth_callback', allowedScopes: [] });
  t.deps.tokens.issue({ userId: alice.id, scopes: ['identify'], note: 'oauth', clientId: 'service-grader' });
  // bob: a start in progress; carol: a failed start with the server's last log lines; dave: stopped.
  await t.startServer('bob', { hold: true });
  t.spawner.behave('carol', { fail: 'The server exited with code 1 before answering HTTP. Last log lines:\nTraceback (most recent call last):\n  File "/usr/bin/jupyterhub-singleuser", line 5\nModuleNotFoundError: No module named \'jupyterhub\'' });
  t.deps.users.ensure('carol');
  await t.hub.servers.start('carol').catch(() => undefined);
  t.deps.users.ensure('dave');
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await t?.close();
});

async function signInAs(name: string | null): Promise<void> {
  await browser.clearCookies();
  if (name === null) return;
  const cookie = await t.signIn(name);
  await browser.addCookies(cookie.split('; ').map((pair) => {
    const i = pair.indexOf('=');
    return { name: pair.slice(0, i), value: pair.slice(i + 1), url: `${origin}/hub/` };
  }));
}

/** The pages, each as who sees it and where. */
const PAGES: { name: string; as: string | null; path: string; status: number }[] = [
  { name: 'login', as: null, path: '/hub/login', status: 200 },
  { name: 'home', as: 'alice', path: '/hub/home', status: 200 },
  { name: 'options', as: 'dave', path: '/hub/spawn/dave', status: 200 },
  { name: 'pending', as: 'bob', path: '/hub/spawn-pending/bob', status: 200 },
  { name: 'failed', as: 'carol', path: '/hub/spawn-pending/carol', status: 200 },
  { name: 'token', as: 'alice', path: '/hub/token', status: 200 },
  { name: 'not-running', as: 'dave', path: '/hub/user/dave/lab', status: 424 },
  { name: 'error', as: 'alice', path: '/hub/no-such-page', status: 404 },
];

describe('every page', () => {
  for (const p of PAGES) {
    it(`${p.name}: no serious or critical axe violation and nothing wider than the window, at 1280 and 375 px, light and dark`, async () => {
      await signInAs(p.as);
      const page = await browser.newPage();
      try {
        for (const viewport of VIEWPORTS) {
          for (const scheme of SCHEMES) {
            await page.setViewportSize(viewport);
            await page.emulateMedia({ colorScheme: scheme });
            const res = await page.goto(`${origin}${p.path}`);
            expect(res?.status()).toBe(p.status);
            expect(new URL(page.url()).pathname).toBe(p.path);
            expect(await page.locator('html').getAttribute('data-bs-theme')).toBe(scheme);
            await page.screenshot({ path: path.join(SHOTS, `${p.name}-${viewport.name}-${scheme}.png`), fullPage: true });
            const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
            const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
              .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
            expect(bad, `${p.name} ${viewport.name} ${scheme}`).toEqual([]);
            expect(await page.evaluate(() => document.documentElement.scrollWidth), `${p.name} ${viewport.name} overflows`).toBeLessThanOrEqual(viewport.width);
          }
        }
      } finally {
        await page.close();
      }
    });
  }

  it('cancels a start from the progress page and goes home', async () => {
    await t.startServer('gina', { hold: true });
    await signInAs('gina');
    const page = await browser.newPage();
    await page.goto(`${origin}/hub/spawn-pending/gina`);
    await Promise.all([page.waitForURL(`${origin}/hub/home`), page.getByRole('button', { name: 'Cancel' }).click()]);
    expect(t.hub.servers.get('gina')!.status).toBe('stopped');
    expect(await page.locator('[data-server=""]').getAttribute('data-state')).toBe('stopped');
    await page.close();
  });

  it('can be used with the keyboard alone: Tab reaches the top bar and a page control, with a visible focus ring', async () => {
    await signInAs('dave');
    const page = await browser.newPage();
    await page.setViewportSize(VIEWPORTS[0]);
    await page.goto(`${origin}/hub/spawn/dave`);
    const focused: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      focused.push(await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        // Past the last control, focus leaves the page for the browser's own UI.
        if (el === document.body) return 'body';
        const ring = getComputedStyle(el).outlineStyle !== 'none' || getComputedStyle(el).boxShadow !== 'none';
        return `${el.id || el.getAttribute('value') || el.textContent?.trim()}${ring ? '' : ' (no focus ring)'}`;
      }));
    }
    expect(focused[0]).toBe('Skip to content');
    expect(focused).toContain('token-link');
    // A radio group is one Tab stop (arrows move within it), at the preselected entry.
    expect(focused).toContain('choice-minimal');
    expect(focused).toContain('start');
    expect(focused.filter((f) => f.endsWith('(no focus ring)'))).toEqual([]);
    await page.close();
  });
});
