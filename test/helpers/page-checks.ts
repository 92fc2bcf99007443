// What every page test checks of a page as a whole, at a desktop and a phone width: axe-core's serious and critical
// accessibility violations (none allowed), and a screenshot of each width into test-results/screenshots/ (git-ignored),
// to look at and to pick README images from.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';

export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../test-results/screenshots');

export const WIDTHS = { desktop: { width: 1280, height: 800 }, phone: { width: 375, height: 740 } } as const;

/**
 * Serious and critical violations at each width ("desktop: color-contrast on #x, …"); screenshots `name`-<width>.png.
 * `within`: a CSS selector to check only part of the page (the part a test owns); the whole page otherwise.
 */
export async function checkPage(page: Page, name: string, options: { within?: string } = {}): Promise<string[]> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const found: string[] = [];
  const before = page.viewportSize();
  for (const [label, size] of Object.entries(WIDTHS)) {
    await page.setViewportSize(size);
    const axe = new AxeBuilder({ page });
    if (options.within) axe.include(options.within);
    const { violations } = await axe.analyze();
    for (const v of violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
      found.push(`${label}: ${v.id} (${v.impact}) on ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${label}.png`), fullPage: true });
  }
  if (before) await page.setViewportSize(before);
  return found;
}
