// `berth adopt` on a swarm: refused before anything is read, saying what to do instead (no engine needed).
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAdopt } from './adopt-command.js';
import { parseConfig } from './config/load.js';

describe('berth adopt', () => {
  it('refuses spawner.backend: swarm, naming the docker service commands to use instead', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-adopt-'));
    const config = parseConfig(`hub:\n  data_dir: ${dir}\nauth:\n  pam: {}\nspawner:\n  backend: swarm\n  isolate_containers: false\n`, path.join(dir, 'hub.yaml'));
    const err: string[] = [];
    const code = await runAdopt(config, { names: ['berth-alice'], all: false, remove: true }, { out: () => undefined, err: (line) => err.push(line) });
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/spawner\.backend: docker only.*docker service ls --filter label=berth\.hub.*docker service rm/s);
  });
});
