// Probes run inside containers a test started, to see the user network as a container sees it: what it can
// connect to, what its names resolve to. Uses the python3 of berth/backend:test and berth/singleuser:test.
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';

/** Runs `cmd` in `container` and waits for it: stdout and stderr together, and the exit code. */
export async function execIn(container: Docker.Container, cmd: string[]): Promise<{ output: string; exitCode: number | null }> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const sink = new PassThrough();
  let output = '';
  sink.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  container.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve) => stream.on('end', () => resolve()));
  return { output, exitCode: (await exec.inspect()).ExitCode };
}

/** Runs a shell script in a user's running server container, as the image's user; throws unless it exits 0. */
export async function shellIn(container: Docker.Container, script: string): Promise<string> {
  const { output, exitCode } = await execIn(container, ['sh', '-c', script]);
  if (exitCode !== 0) throw new Error(`sh -c ${JSON.stringify(script)} exited ${exitCode}: ${output}`);
  return output;
}

/** Starts `cmd` in `container` in the background (e.g. a listener), without waiting for it. */
export async function startIn(container: Docker.Container, cmd: string[]): Promise<void> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: false, AttachStderr: false });
  await exec.start({ Detach: true });
}

const GET = `
import sys, urllib.error, urllib.request
try:
    print("HTTP %d" % urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])).status)
except urllib.error.HTTPError as e:
    print("HTTP %d" % e.code)
except Exception as e:
    print("failed: %s" % (getattr(e, "reason", None) or e))
`;

/**
 * What `container` gets when it GETs `url`: "HTTP <status>", or "failed: <why>" (timed out, refused, unknown
 * name). A dropped connection only shows as a timeout, so `timeoutS` bounds each refused probe.
 */
export async function fetchFrom(container: Docker.Container, url: string, timeoutS = 3): Promise<string> {
  const { output } = await execIn(container, ['python3', '-c', GET, url, String(timeoutS)]);
  return output.trim();
}

/** The address `name` resolves to inside `container` (Docker's embedded DNS), or "failed: <why>". */
export async function resolveFrom(container: Docker.Container, name: string): Promise<string> {
  const script = 'import socket, sys\ntry:\n    print(socket.gethostbyname(sys.argv[1]))\nexcept Exception as e:\n    print("failed: %s" % e)';
  return (await execIn(container, ['python3', '-c', script, name])).output.trim();
}

/** The value of `key` in the container's environment, as the spawner set it. */
export async function envOf(container: Docker.Container, key: string): Promise<string> {
  const env = (await container.inspect()).Config.Env ?? [];
  const entry = env.find((e) => e.startsWith(`${key}=`));
  if (!entry) throw new Error(`container ${container.id} has no ${key} in its environment`);
  return entry.slice(key.length + 1);
}
