// Turns the engine's pull events (one stream line per layer step) into JupyterHub progress steps:
// layers done out of layers seen, and bytes downloaded, mapped onto the 10–40 % band of a start.
import type { SpawnProgress } from './spawner.js';

export interface PullEvent {
  id?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  progressDetail?: { current?: number; total?: number };
}

export interface PullProgress {
  add(event: PullEvent): void;
  current(): SpawnProgress;
}

export function createPullProgress(image: string): PullProgress {
  const layers = new Map<string, { current: number; total: number; done: boolean }>();
  return {
    add(event) {
      if (!event.id || !event.status || event.id === image.split(':').pop()) return;
      const layer = layers.get(event.id) ?? { current: 0, total: 0, done: false };
      if (event.status === 'Downloading' && event.progressDetail?.total) {
        layer.current = event.progressDetail.current ?? 0;
        layer.total = event.progressDetail.total;
      } else if (/^(Download complete|Pull complete|Already exists)/.test(event.status)) {
        layer.current = layer.total;
        layer.done = true;
      }
      layers.set(event.id, layer);
    },
    current() {
      const all = [...layers.values()];
      const done = all.filter((l) => l.done).length;
      const current = all.reduce((n, l) => n + l.current, 0);
      const total = all.reduce((n, l) => n + l.total, 0);
      const fraction = all.length === 0 ? 0 : total > 0 ? Math.min(1, current / total) : done / all.length;
      return {
        progress: 10 + Math.round(30 * fraction),
        message: `Pulling ${image}: ${done}/${all.length} layers${total > 0 ? `, ${mb(current)} of ${mb(total)} MB` : ''}`,
      };
    },
  };
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
