// Makes an image present according to spawner.pull_policy, reporting layer progress while pulling.
// A pull that cannot reach its registry fails with the engine's reason instead of hanging.
import type Docker from 'dockerode';
import { createPullProgress, type PullEvent } from './pull-progress.js';
import { SpawnError, type SpawnProgress, type SpawnSpec } from './spawner.js';

const REPORT_MS = 500;

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
    // docker-modem wraps the engine's reason as "(HTTP code N) kind - reason " (trailing space included).
    const reason = (err as Error).message.replace(/^\(HTTP code \d+\)\s*[\w ]*-\s*/, '').trim();
    throw new SpawnError(
      `Pulling image ${image} failed: ${reason}. Check the image name and that the Docker host can reach its registry` +
        (present ? ', or set spawner.pull_policy to ifnotpresent to use the local copy' : ''),
      { cause: err },
    );
  }
}

async function pull(docker: Docker, image: string, onProgress: (event: SpawnProgress) => void, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  // The engine answers only once the registry gave it the manifest: a registry that never answers must not outlast the signal.
  const stream = (await docker.pull(image, { abortSignal: signal })) as NodeJS.ReadableStream & { destroy(err?: Error): void };
  const tracker = createPullProgress(image);
  let lastReport = 0;
  let last = '';
  let timer: NodeJS.Timeout | undefined;
  const report = () => {
    clearTimeout(timer);
    timer = undefined;
    lastReport = Date.now();
    const event = tracker.current();
    // The engine repeats steps (status lines without news); a reader of the stream should see each state once.
    if (`${event.progress} ${event.message}` === last) return;
    last = `${event.progress} ${event.message}`;
    onProgress(event);
  };
  // At most one step per REPORT_MS, and the latest state always goes out: a stalled download shows where it stopped.
  const schedule = () => {
    timer ??= setTimeout(report, Math.max(0, lastReport + REPORT_MS - Date.now()));
  };
  report();
  try {
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
          tracker.add(event);
          schedule();
        },
      );
    });
  } finally {
    clearTimeout(timer);
  }
  report();
}
