// Every launcher of the hub starts it with process-options.ts' settings: a launcher that lost them would give a hub
// twice the memory, which no other test sees.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HUB_ENV, HUB_NODE_ARGS } from './process-options.js';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
const env = Object.entries(HUB_ENV).map(([k, v]) => `${k}=${v}`);

describe('the hub process options', () => {
  it('are on main.ts\' first line, which starts the `berth` command', () => {
    expect(read('src/main.ts').split('\n')[0]).toBe(`#!/usr/bin/env -S ${env.join(' ')} node ${HUB_NODE_ARGS.join(' ')}`);
  });

  it('are given by the hub image\'s entrypoint on both of its paths', () => {
    const script = read('images/hub/entrypoint.sh');
    for (const e of env) expect(script).toContain(`export ${e}\n`);
    expect(script).toContain(`node="node ${HUB_NODE_ARGS.join(' ')}"`);
    expect(script.match(/exec (?:setpriv [^;]*? -- )?\$node "\$hub" "\$@"/g)).toHaveLength(2);
    expect(script).not.toMatch(/-- node |exec node /);
  });

  it('are given by npm start', () => {
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    expect(scripts.start).toBe(`${env.join(' ')} node ${HUB_NODE_ARGS.join(' ')} dist/main.js`);
  });
});
