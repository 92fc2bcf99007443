// Berth's shipped hub.yaml used to mount `berth-user-{username}` at /home/jovyan/work only; it now mounts a volume at
// the whole home directory. So that upgrading with the new file loses no file, a user's default server whose config
// mounts the home directory also gets their old volume back at /home/jovyan/work, when it exists and this hub made it
// (its berth.hub label: another hub's users of the same name never get it). A config that names the old volume
// itself is left as it is.
import type { SpawnSpec } from '../spawner/spawner.js';

const OLD_TEMPLATE = 'berth-user-{username}';
const HOME = '/home/jovyan';

export function legacyVolume(volumes: Readonly<Record<string, string>>, slug: string, serverName: string): SpawnSpec['volumes'] {
  if (serverName !== '' || OLD_TEMPLATE in volumes || !Object.values(volumes).includes(HOME)) return [];
  if (Object.values(volumes).includes(`${HOME}/work`)) return [];
  return [{ source: OLD_TEMPLATE.replace('{username}', slug), target: `${HOME}/work`, onlyIfOurs: true }];
}
