// Issue 10, finding 1, in a real browser: a page mallory serves from her own jupyterhub-singleuser (notebook 6.4
// serves ~/.jupyter/custom/ without sign-in, on the hub's origin) is opened by alice, an admin. Its script tries to
// mint alice a token and make mallory an admin, with and without an _xsrf scraped through fetch(), a frame or a
// popup. None of it may work, while alice's own token and admin pages keep working.
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { launchBrowser, signInWithGithub } from '../helpers/browser.js';
import { shellIn } from '../helpers/container-probes.js';
import { freePort } from '../helpers/free-port.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

const ATTACK_PAGE = readFileSync(new URL('./attack-page.html', import.meta.url), 'utf8');

let gh: FakeGithub;
let t: TestHub;
let browser: BrowserContext;

/** alice's API tokens, straight from the database. */
const aliceTokenNotes = (): string[] =>
  (t.hub.db.$client.prepare('SELECT note FROM api_tokens WHERE user_id = ?').all(t.users.get('alice')!.id) as { note: string }[]).map((r) => r.note);


beforeAll(async () => {
  gh = await startFakeGithub({ clientId: 'cid', clientSecret: 'csecret', login: 'alice' });
  t = await startTestHub({
    hub: { bind: `127.0.0.1:${await freePort()}`, admin_access: false },
    auth: { admin_users: ['alice'], allowed_users: ['alice', 'mallory'], github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl } },
    spawner: { image: 'berth/singleuser:test', start_timeout: 120, http_timeout: 60 },
  });
  t.users.ensure('mallory');
  expect(await t.hub.servers.start('mallory')).toBe('started');
  const page = Buffer.from(ATTACK_PAGE).toString('base64');
  await shellIn(t.docker.getContainer(t.hub.servers.get('mallory')!.containerId!), `mkdir -p "$HOME/.jupyter/custom" && echo ${page} | base64 -d > "$HOME/.jupyter/custom/x.html"`);
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.cleanup();
  await gh?.close();
});

/** A page of alice's browser on /hub/home, signing her in through the GitHub stand-in unless she already is. */
const signInAlice = async (): Promise<Page> => signInWithGithub(await browser.newPage(), t.url);

describe('a page on mallory\'s server, opened by alice (admin) on the shared origin', { timeout: 90_000 }, () => {
  // What the attack page found, run once in alice's browser by whichever test asks first, so any order works.
  let attack: Promise<Record<string, any>> | undefined;
  const attackOutcome = () => (attack ??= (async () => {
    const page = await signInAlice();
    const res = await page.goto(`${t.url}/user/mallory/custom/x.html`);
    expect(res?.status()).toBe(200);
    await page.waitForFunction(() => document.title === 'done', undefined, { timeout: 60_000 });
    const out = JSON.parse((await page.locator('#out').textContent())!) as Record<string, any>;
    await page.close();
    return out;
  })());

  it('is served by mallory\'s real single-user server without sign-in', async () => {
    await attackOutcome();
  });

  it('cannot mint alice a token or make mallory an admin with alice\'s cookie alone', async () => {
    const out = await attackOutcome();
    expect(out.mint).toMatch(/^403 .*'_xsrf' argument missing from POST/);
    expect(out.promote).toMatch(/^403 .*'_xsrf' argument missing from PATCH/);
  });

  it('cannot start alice\'s server with a no-cors form post (JupyterHub does not check no-cors)', async () => {
    const out = await attackOutcome();
    expect(out.spawnNoCors).toMatch(/^403 [\s\S]*&#39;_xsrf&#39; argument missing from POST/);
    expect(t.hub.servers.get('alice')!.status).toBe('stopped');
  });

  it('cannot read the API as alice, with fetch() in cors or no-cors mode', async () => {
    const out = await attackOutcome();
    expect(out.readIdentity).toMatch(/^403 /);
    expect(out.readIdentityNoCors).toMatch(/^403 /);
  });

  it('finds no _xsrf in its own cookies', async () => {
    const out = await attackOutcome();
    expect(out.ownCookies).not.toContain('_xsrf=');
    expect(out.ownCookiesXsrf).toBeNull();
  });

  it('cannot fetch() a hub page to scrape its _xsrf', async () => {
    const out = await attackOutcome();
    for (const path of ['/hub/token', '/hub/home', '/hub/admin', '/hub/spawn']) {
      expect(out.fetched[path], path).toEqual({ status: 403, xsrf: false, stolen: null });
    }
  });

  it('cannot read alice\'s visit to her home page back from the browser\'s HTTP cache', async () => {
    const out = await attackOutcome();
    // force-cache finds nothing stored and asks the hub (which refuses a script); only-if-cached then fails.
    expect(out.cached['/hub/home force-cache']).toEqual({ xsrf: false, stolen: null });
    expect(out.cached['/hub/home only-if-cached']).toMatch(/^threw TypeError/);
  });

  it('cannot read a hub page or a hub API answer in a frame', async () => {
    const out = await attackOutcome();
    for (const path of ['/hub/token', '/hub/api/user']) {
      expect(out.framed[path], path).toEqual({ readable: false, xsrf: false, stolen: null });
    }
  });

  it('cannot read the admin page it opens in a new window', async () => {
    const out = await attackOutcome();
    expect(out.opened).toMatchObject({ readable: false, xsrf: false, stolen: null });
  });

  it('left no token for alice and mallory not an admin', async () => {
    await attackOutcome();
    expect(aliceTokenNotes()).not.toContain('stolen by mallory');
    expect(t.users.get('mallory')!.admin).toBe(false);
  });
});

describe('alice\'s own hub pages, in the same browser', () => {
  it('mint a token on the token page', async () => {
    const page = await signInAlice();
    await page.goto(`${t.url}/hub/token`);
    await page.getByLabel('Note').fill('made on the token page');
    await page.getByRole('button', { name: 'Request new API token' }).click();
    await page.locator('#new-token-value').waitFor({ state: 'visible' });
    expect(await page.locator('#token').textContent()).toMatch(/^\S{20,}$/);
    expect(aliceTokenNotes()).toContain('made on the token page');
    await page.close();
  });

  it('toggle a user\'s admin flag on the admin page (Edit), both ways', async () => {
    const page = await signInAlice();
    for (const admin of [true, false]) {
      await page.goto(`${t.url}/hub/admin`);
      await page.getByRole('button', { name: 'Edit mallory' }).click();
      const box = page.getByLabel('Admin', { exact: true });
      expect(await box.isChecked()).toBe(!admin);
      await box.click();
      await Promise.all([page.waitForEvent('load'), page.locator('#edit-save').click()]);
      expect(await page.locator('#result').textContent()).toBe('');
      expect(t.users.get('mallory')!.admin).toBe(admin);
    }
    await page.close();
  });
});
