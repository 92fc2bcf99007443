// Makes an image present according to spawner.pull_policy, reporting layer progress while pulling.
// A pull that cannot reach its registry fails with the engine's reason instead of hanging.
import type Docker from 'dockerode';
import { SpawnError, type SpawnProgress, type SpawnSpec } from './spawner.js';

interface PullEvent {
  id?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  progressDetail?: { current?: number; total?: number };
}

export async function ensureImage(
  docker: Docker,
  image: string,
  policy: SpawnSpec['pullPolicy'],
  onProgress: (event: SpawnProgress) => void,
  signal: AbortSignal,
): Promise<void> {
  const present = await docker.getImage(image).inspect().then(() => true, (err) => {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  });
  if (policy === 'never' || (policy === 'ifnotpresent' && present)) {
    if (present) return;
    throw new SpawnError(
      `Image ${image} is not on the Docker host and spawner.pull_policy is "never": ` +
        `pull it there (docker pull ${image}) or set pull_policy to ifnotpresent`,
    );
  }
  try {
    await pull(docker, image, onProgress, signal);
  } catch (err) {
    if (signal.aborted) throw err;
    const reason = (err as Error).message.replace(/^\(HTTP code \d+\)\s*[\w ]*-\s*/, '');
    throw new SpawnError(
      `Pulling image ${image} failed: ${reason}. Check the image name and that the Docker host can reach its registry` +
        (present ? ', or set spawner.pull_policy to ifnotpresent to use the local copy' : ''),
      { cause: err },
    );
  }
}

async function pull(docker: Docker, image: string, onProgress: (event: SpawnProgress) => void, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  const stream = (await docker.pull(image)) as NodeJS.ReadableStream & { destroy(err?: Error): void };
  const layers = new Map<string, { current: number; total: number; done: boolean }>();
  let lastReport = 0;
  const report = (force = false) => {
    const now = Date.now();
    if (!force && now - lastReport < 500) return;
    lastReport = now;
    const all = [...layers.values()];
    const done = all.filter((l) => l.done).length;
    const current = all.reduce((n, l) => n + l.current, 0);
    const total = all.reduce((n, l) => n + l.total, 0);
    const fraction = total > 0 ? current / total : 0;
    onProgress({
      progress: 10 + Math.round(30 * fraction),
      message: `Pulling ${image}: ${done}/${all.length} layers${total > 0 ? `, ${mb(current)} of ${mb(total)} MB` : ''}`,
    });
  };
  onProgress({ progress: 10, message: `Pulling ${image}` });
  await new Promise<void>((resolve, reject) => {
    const abort = () => {
      stream.destroy(new Error('aborted'));
      reject(signal.reason);
    };
    signal.addEventListener('abort', abort, { once: true });
    docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        signal.removeEventListener('abort', abort);
        if (err) reject(err);
        else resolve();
      },
      (event: PullEvent) => {
        if (event.error) {
          stream.destroy();
          signal.removeEventListener('abort', abort);
          reject(new Error(event.errorDetail?.message ?? event.error));
          return;
        }
        if (!event.id || !event.status) return;
        const layer = layers.get(event.id) ?? { current: 0, total: 0, done: false };
        if (event.status === 'Downloading' && event.progressDetail?.total) {
          layer.current = event.progressDetail.current ?? 0;
          layer.total = event.progressDetail.total;
        } else if (/^(Download complete|Pull complete|Already exists)/.test(event.status)) {
          layer.current = layer.total;
          layer.done = true;
        }
        layers.set(event.id, layer);
        report();
      },
    );
  });
  report(true);
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
