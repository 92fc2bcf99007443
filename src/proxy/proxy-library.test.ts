// Issue 3 point 14: the maintained http-proxy-3 (not the unmaintained http-proxy) is the proxy library, and
// only the forwarder imports it, so replacing it touches one file.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [full] : [];
  });
}

describe('the proxy library', () => {
  it('is http-proxy-3; the unmaintained http-proxy is not a dependency', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies['http-proxy-3']).toBeDefined();
    expect(pkg.dependencies['http-proxy']).toBeUndefined();
  });

  it('is imported by src/proxy/forwarder.ts alone', () => {
    const importers = sourceFiles(path.join(ROOT, 'src'))
      .filter((file) => /from\s+['"]http-proxy(-3)?['"]|require\(['"]http-proxy(-3)?['"]\)|import\(['"]http-proxy(-3)?['"]\)/.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(ROOT, file));
    expect(importers).toEqual(['src/proxy/forwarder.ts']);
  });
});
