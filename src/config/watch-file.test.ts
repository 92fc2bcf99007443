import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/wait-for.js';
import { createLogger } from '../log.js';
import { watchConfigFile, type ConfigFileWatch } from './watch-file.js';

const watches: ConfigFileWatch[] = [];
afterEach(() => {
  for (const w of watches.splice(0)) w.close();
});

function watched(setup: (dir: string) => string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-watch-'));
  const file = setup(dir);
  let changes = 0;
  watches.push(watchConfigFile(file, () => changes++, { logger: createLogger('silent'), debounceMs: 50 }));
  return { dir, file, changes: () => changes };
}

describe('watching hub.yaml', () => {
  it('sees a write in place, and a new file renamed over it as vim and sed -i do', async () => {
    const w = watched((dir) => {
      writeFileSync(path.join(dir, 'hub.yaml'), 'a: 1\n');
      return path.join(dir, 'hub.yaml');
    });
    writeFileSync(w.file, 'a: 2\n');
    await waitFor(() => expect(w.changes()).toBe(1));
    writeFileSync(path.join(w.dir, 'sedXYZ'), 'a: 3\n');
    renameSync(path.join(w.dir, 'sedXYZ'), w.file);
    await waitFor(() => expect(w.changes()).toBe(2));
    // A rename over the new file works too: the directory is watched, not the first file's inode.
    writeFileSync(path.join(w.dir, '.hub.yaml.swp'), 'a: 4\n');
    renameSync(path.join(w.dir, '.hub.yaml.swp'), w.file);
    await waitFor(() => expect(w.changes()).toBe(3));
  });

  it('sees a ConfigMap-style swap of the ..data symlink the file points through', async () => {
    const w = watched((dir) => {
      mkdirSync(path.join(dir, 'v1'));
      writeFileSync(path.join(dir, 'v1', 'hub.yaml'), 'a: 1\n');
      symlinkSync('v1', path.join(dir, '..data'));
      symlinkSync('..data/hub.yaml', path.join(dir, 'hub.yaml'));
      return path.join(dir, 'hub.yaml');
    });
    mkdirSync(path.join(w.dir, 'v2'));
    writeFileSync(path.join(w.dir, 'v2', 'hub.yaml'), 'a: 2\n');
    symlinkSync('v2', path.join(w.dir, '..data_tmp'));
    renameSync(path.join(w.dir, '..data_tmp'), path.join(w.dir, '..data'));
    await waitFor(() => expect(w.changes()).toBe(1));
  });

  it('ignores other files of the directory and a save that changes no byte', async () => {
    const w = watched((dir) => {
      writeFileSync(path.join(dir, 'hub.yaml'), 'a: 1\n');
      return path.join(dir, 'hub.yaml');
    });
    writeFileSync(path.join(w.dir, 'notes.txt'), 'x');
    writeFileSync(w.file, 'a: 1\n');
    // Showing that nothing happens takes a window: six times the debounce.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(w.changes()).toBe(0);
    writeFileSync(path.join(w.dir, 'hub.yaml.tmp'), 'a: 2\n');
    renameSync(path.join(w.dir, 'hub.yaml.tmp'), w.file);
    await waitFor(() => expect(w.changes()).toBe(1));
  });
});
