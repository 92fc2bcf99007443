// What a user may start their server with, as the options page and the home page's Start button see it: the
// catalog entries offered (each with the resource lines its card shows), and the administrator's pin, if any.
// The state machine re-checks every choice (servers/image.ts); this only decides what is offered.
import type { HubConfig } from '../../config/load.js';
import type { User } from '../../db/schema.js';
import { catalogChoices, resolveImage } from '../../servers/image.js';

export interface SpawnChoice {
  label: string;
  description: string;
  /** What the card lists under the description: image, memory, CPUs… (term, value). */
  resources: [string, string][];
  selected: boolean;
}

export interface SpawnChoices {
  choices: SpawnChoice[];
  /** The label an administrator (hub.yaml users.<name>.image, or the admin page) fixed; null = the user picks. */
  pinned: string | null;
  /** Whether Start needs the options page: more than one entry offered and no pin. */
  choose: boolean;
}

type Entry = HubConfig['spawner']['images'][string];

/** The lines of one entry's card: the entry's own limits, else the hub-wide ones (what the server will get). */
function resources(config: Pick<HubConfig, 'spawner'>, entry: Entry): [string, string][] {
  const lines: [string, string][] = [['Image', entry.image]];
  const mem = entry.mem_limit ?? config.spawner.mem_limit;
  const cpus = entry.cpu_limit ?? config.spawner.cpu_limit;
  if (mem !== undefined) lines.push(['Memory', formatBytes(mem)]);
  if (cpus !== undefined) lines.push(['CPUs', String(cpus)]);
  if (entry.gpus !== undefined) lines.push(['GPUs', entry.gpus === 'all' ? 'all' : Array.isArray(entry.gpus) ? entry.gpus.join(', ') : String(entry.gpus)]);
  return lines;
}

/**
 * `memberOf`: the user's groups, for entries limited to groups (those are not offered to others). An administrator's
 * pin is offered alone, whatever its groups: it is the administrator's decision.
 */
export function spawnChoices(
  config: Pick<HubConfig, 'spawner' | 'users'>,
  user: Pick<User, 'name' | 'adminImage' | 'userImage'>,
  memberOf: readonly string[],
): SpawnChoices {
  const current = resolveImage(config, user, undefined, memberOf);
  const pinned = current.source === 'file' || current.source === 'admin' ? current.label : null;
  const offered = pinned === null
    ? catalogChoices(config, memberOf, current.label).map(({ label, selected }) => ({ label, selected }))
    : [{ label: pinned, selected: true }];
  const choices = offered.map(({ label, selected }) => {
    const entry = config.spawner.images[label];
    return { label, description: entry.description, resources: resources(config, entry), selected };
  });
  return { choices, pinned, choose: pinned === null && choices.length > 1 };
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${units[i]}`;
}
