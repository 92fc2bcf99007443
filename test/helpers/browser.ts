// A real browser for page tests: Debian's chromium driven by playwright-core (never a downloaded browser),
// headless, with a fresh profile that is deleted when the context closes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export interface BrowserOptions {
  /** Extra chromium flags, e.g. `--host-resolver-rules=MAP *.hub.test 127.0.0.1` for per-user hosts. */
  args?: string[];
}

export async function launchBrowser(options: BrowserOptions = {}): Promise<BrowserContext> {
  const profile = mkdtempSync(path.join(tmpdir(), 'berth-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    // Without the background-networking flags chromium keeps dialling hosts this machine cannot reach.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', ...(options.args ?? [])],
  });
  const close = context.close.bind(context);
  // Remove the profile once chromium has exited, not on the 'close' event (it still writes to it then).
  context.close = async (options) => {
    await close(options);
    rmSync(profile, { recursive: true, force: true });
  };
  return context;
}

/** Signs `page` in to the hub at `hubUrl` through its "Sign in with GitHub" link (the stand-in's user), if it is not already; ends on /hub/home. */
export async function signInWithGithub(page: Page, hubUrl: string): Promise<Page> {
  await page.goto(`${hubUrl}/hub/home`);
  if (new URL(page.url()).pathname === '/hub/login') {
    await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await page.waitForURL(`${hubUrl}/hub/home`);
  }
  return page;
}
