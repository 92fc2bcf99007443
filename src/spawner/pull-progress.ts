// Turns the engine's pull events (one stream line per layer step) into JupyterHub progress steps:
// layers in place out of layers seen, and bytes downloaded and extracted, mapped onto the 10–40 % band of a start.
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

interface Layer {
  total: number;
  downloaded: number;
  extracted: number;
  done: boolean;
}

export function createPullProgress(image: string): PullProgress {
  const layers = new Map<string, Layer>();
  return {
    add(event) {
      if (!event.id || !event.status || event.id === image.split(':').pop()) return;
      const layer = layers.get(event.id) ?? { total: 0, downloaded: 0, extracted: 0, done: false };
      const detail = event.progressDetail;
      if (event.status === 'Downloading' && detail?.total) {
        layer.downloaded = detail.current ?? 0;
        layer.total = detail.total;
      } else if (event.status === 'Extracting' && detail?.total) {
        // Extraction reads the downloaded blob again; on a fast registry it takes longer than the download.
        layer.total ||= detail.total;
        layer.downloaded = layer.total;
        layer.extracted = detail.current ?? 0;
      } else if (/^(Download complete|Verifying Checksum)/.test(event.status)) {
        layer.downloaded = layer.total;
      } else if (/^(Pull complete|Already exists)/.test(event.status)) {
        layer.downloaded = layer.extracted = layer.total;
        layer.done = true;
      }
      layers.set(event.id, layer);
    },
    current() {
      const all = [...layers.values()];
      if (all.length === 0) return { progress: 10, message: `Pulling ${image}` };
      const done = all.filter((l) => l.done).length;
      const sum = (pick: (l: Layer) => number) => all.reduce((n, l) => n + pick(l), 0);
      const total = sum((l) => l.total);
      const moved = sum((l) => l.downloaded) + sum((l) => l.extracted);
      const fraction = total > 0 ? Math.min(1, moved / (2 * total)) : done / all.length;
      const extracting = all.some((l) => !l.done && l.extracted > 0);
      const bytes = total > 0 ? `, ${mb(sum((l) => l.downloaded))} of ${mb(total)} MB${extracting ? ', extracting' : ''}` : '';
      return { progress: 10 + Math.round(30 * fraction), message: `Pulling ${image}: ${done}/${all.length} layers${bytes}` };
    },
  };
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
