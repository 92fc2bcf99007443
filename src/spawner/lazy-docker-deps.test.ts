import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// A fresh process: the require cache of the test runner is shared between test files.
const script = `
import { createRequire } from 'node:module';
import net from 'node:net';
const { createDockerClient } = await import(${JSON.stringify(fileURLToPath(new URL('./docker-client.ts', import.meta.url)))});
const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => /node_modules\\/(ssh2|@grpc\\/grpc-js|protobufjs)\\//.test(k)).map((k) => k.split('node_modules/')[1].split('/')[0]);
const report = {};
createDockerClient();
report.afterClient = [...new Set(loaded())];
// An "engine" that hangs up at once: the ssh transport must still be there when asked for.
const server = net.createServer((socket) => socket.destroy()).listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const ssh = createDockerClient({ protocol: 'ssh', host: '127.0.0.1', port: server.address().port, username: 'nobody' });
report.sshError = await ssh.ping().then(() => null, (err) => err.message);
report.afterSsh = [...new Set(loaded())];
server.close();
console.log(JSON.stringify(report));
`;

describe('lazy docker dependencies', () => {
  it('loads neither gRPC nor ssh2 with the Docker client, and ssh2 when an ssh:// engine is used', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    const report = JSON.parse(stdout.trim().split('\n').pop()!) as { afterClient: string[]; sshError: string | null; afterSsh: string[] };
    expect(report.afterClient).toEqual([]);
    expect(report.afterSsh).toEqual(['ssh2']);
    expect(report.sshError).toMatch(/handshake|ECONNRESET|closed/i);
  });
});
