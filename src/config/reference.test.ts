import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReference } from './reference.js';
import { keysAt } from './keys.js';

describe('the hub.yaml reference', () => {
  it('in README.md is the one the schema generates (run `npm run docs:config` after changing the schema)', () => {
    const readme = readFileSync(path.join(import.meta.dirname, '../../README.md'), 'utf8');
    expect(readme).toContain(renderReference());
  });

  it('lists every key of every section', () => {
    const table = renderReference();
    for (const section of ['hub', 'auth', 'spawner']) {
      for (const key of keysAt([section])) expect(table).toContain(`| \`${section}.${key}\` |`);
    }
  });
});
