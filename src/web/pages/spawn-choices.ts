// What a user may start their server with, as the options page and the home page's Start button see it: the
// catalog entries offered (each with the resource lines its card shows), and the administrator's pin, if any.
// The state machine re-checks every choice (servers/image.ts); this only decides what is offered.
import type { HubConfig } from '../../config/load.js';
import type { User } from '../../db/schema.js';
import { resolveImage } from '../../servers/image.js';

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

/** The lines of one entry's card. A catalog entry's own limits, when it gets them, go before the hub-wide ones. */
function resources(config: Pick<HubConfig, 'spawner'>, entry: Entry): [string, string][] {
  const lines: [string, string][] = [['Image', entry.image]];
  const { mem_limit: mem, cpu_limit: cpus } = config.spawner;
  if (mem !== undefined) lines.push(['Memory', formatBytes(mem)]);
  if (cpus !== undefined) lines.push(['CPUs', String(cpus)]);
  return lines;
}

export function spawnChoices(config: Pick<HubConfig, 'spawner' | 'users'>, user: Pick<User, 'name' | 'adminImage' | 'userImage'>): SpawnChoices {
  const current = resolveImage(config, user);
  const pinned = current.source === 'file' || current.source === 'admin' ? current.label : null;
  const entries = Object.entries(config.spawner.images).filter(([label]) => pinned === null || label === pinned);
  const choices = entries.map(([label, entry], i) => ({
    label,
    description: entry.description,
    resources: resources(config, entry),
    // The last pick (or the pin) is preselected; with none, the first entry.
    selected: current.label === null ? i === 0 : current.label === label,
  }));
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
