// Notices edits of hub.yaml. It watches the file's directory, not the file, so a new file renamed over the old one
// (vim, `sed -i`, most editors) or a Kubernetes ConfigMap's `..data` symlink swap is seen as well as a write in
// place; events are debounced, and a change is reported only when the file's bytes differ from the last ones seen.
import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';

export interface ConfigFileWatch {
  close(): void;
}

export function watchConfigFile(file: string, onChange: () => void, options: { logger: Logger; debounceMs?: number }): ConfigFileWatch {
  const { logger } = options;
  const name = path.basename(file);
  let last = digest(file);
  let timer: NodeJS.Timeout | undefined;
  const settle = () => {
    timer = undefined;
    const now = digest(file);
    if (now === last) return;
    // An unreadable file (deleted, mid-rename) is reported too: the reload logs why, and its return is a change.
    last = now;
    onChange();
  };
  let watcher: FSWatcher;
  try {
    watcher = watch(path.dirname(file), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== name && changed !== '..data') return;
      clearTimeout(timer);
      timer = setTimeout(settle, options.debounceMs ?? 200);
    });
  } catch (err) {
    logger.warn({ err, file }, `cannot watch ${file} for changes; send the hub SIGHUP after editing it`);
    return { close: () => undefined };
  }
  watcher.on('error', (err) => logger.warn({ err, file }, `watching ${file} stopped; send the hub SIGHUP after editing it`));
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}

function digest(file: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}
