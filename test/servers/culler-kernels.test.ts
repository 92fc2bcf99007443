// The built-in culler against a real jupyterhub-singleuser 5.2.1 (berth/singleuser:latest), with a 15 s timeout and a
// pass every 2 s: alice's default server runs `time.sleep(600)` in a kernel nobody is connected to (no traffic
// through the proxy, nothing reported), and is kept because the server's own /api/kernels says the kernel is busy
// (asked with a token for that server, which jupyterhub-singleuser checks with the hub); her idle named server is
// culled, with its reason recorded.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTokenStore } from '../../src/auth/tokens.js';
import { createLogger } from '../../src/log.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { waitFor } from '../helpers/wait-for.js';

// Long enough that starting a kernel on a loaded machine is not idle time; short enough for a test.
const TIMEOUT_S = 15;
let t: TestHub;
const culler: { msg: string; user?: string; server?: string; reason?: string }[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      const entry = JSON.parse(line) as { component?: string; msg: string };
      if (entry.component === 'culler') culler.push(entry);
    }
    done();
  },
});

beforeAll(async () => {
  t = await startTestHub({
    spawner: { image: 'berth/singleuser:latest', start_timeout: 120, http_timeout: 90, allow_named_servers: true },
    culler: { timeout: TIMEOUT_S, cull_every: 2 },
  }, { overrides: { logger: createLogger('debug', sink) } });
  t.users.ensure('alice');
}, 150_000);
afterAll(() => t?.cleanup());

/** Starts a kernel on alice's server and has it run `code` with no client attached once it is busy. */
async function busyKernel(token: string, code: string): Promise<void> {
  const created = await fetch(`${t.url}/user/alice/api/kernels`, {
    method: 'POST', headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'python3' }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const session = randomUUID().replace(/-/g, '');
  const ws = new WebSocket(`${t.url.replace(/^http/, 'ws')}/user/alice/api/kernels/${id}/channels?session_id=${session}`, { headers: { Authorization: `token ${token}` } });
  const msgId = randomUUID();
  const busy = new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { msg_type: string; parent_header: { msg_id?: string }; content: { execution_state?: string } };
      if (msg.parent_header.msg_id === msgId && msg.msg_type === 'status' && msg.content.execution_state === 'busy') resolve();
    });
    ws.on('error', reject);
    ws.on('unexpected-response', (_req, res) => reject(new Error(`websocket refused: ${res.statusCode}`)));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({
    header: { msg_id: msgId, username: 'alice', session, msg_type: 'execute_request', version: '5.3', date: new Date().toISOString() },
    parent_header: {}, metadata: {}, channel: 'shell', buffers: [],
    content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true },
  }));
  await busy;
  ws.close();
  await new Promise((resolve) => ws.once('close', resolve));
}

describe('the culler with a real single-user server', () => {
  it('keeps a server whose kernel is busy with no client attached, and culls an idle named server', async () => {
    const [main, spare] = await Promise.all([t.hub.servers.start('alice'), t.hub.servers.start('alice', {}, { server: 'spare' })]);
    expect([main, spare]).toEqual(['started', 'started']);
    const token = createTokenStore(t.hub.db).issue({ userId: t.users.get('alice')!.id, scopes: ['access:servers!server=alice/'], note: 'test' }).token;
    await busyKernel(token, 'import time; time.sleep(600)');

    await waitFor(() => expect(t.hub.servers.get('alice', 'spare')).toMatchObject({ status: 'stopped', cullReason: expect.stringMatching(/^idle /) }), { timeoutMs: 150_000, intervalMs: 250 });
    expect(culler).toContainEqual(expect.objectContaining({ msg: 'culling server', user: 'alice', server: 'spare' }));
    // Twice idle past the timeout by the hub's records, twice kept for the busy kernel: the kernel's word was heard.
    // On failure the culler's own lines about the default server say why (never asked, could not ask, culled).
    const mainLines = () => culler.filter((l) => l.user === 'alice' && l.server === '');
    await waitFor(() => expect(mainLines().filter((l) => l.msg === 'server kept: its kernels or terminals are active').length, JSON.stringify(mainLines())).toBeGreaterThanOrEqual(2), { timeoutMs: 150_000, intervalMs: 250 });
    expect(t.hub.servers.get('alice')).toMatchObject({ status: 'running', cullReason: null });
    expect(culler).not.toContainEqual(expect.objectContaining({ msg: 'culling server', user: 'alice', server: '' }));
    expect(mainLines().filter((l) => l.msg.startsWith('could not ask'))).toEqual([]);
  }, 420_000);
});
