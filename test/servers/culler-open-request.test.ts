// A request in flight is activity: alice's server holds a GET open three times longer than culler.timeout and sends
// nothing meanwhile (as a slow kernel start or a long API call does), and the culler keeps it; bob's idle server,
// the same kind of server under the same culler, is culled meanwhile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { waitFor } from '../helpers/wait-for.js';

const TIMEOUT_S = 4;
const HOLD_S = 3 * TIMEOUT_S;
// Answers every path at once with an empty JSON list (no kernels, no terminals), except <prefix>hold, after HOLD_S.
const SERVER = [
  'import http.server as h, time',
  'class H(h.BaseHTTPRequestHandler):',
  '  def do_GET(self):',
  `    if self.path.endswith("/hold"): time.sleep(${HOLD_S})`,
  '    self.send_response(200); self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", "2"); self.end_headers()',
  '    self.wfile.write(b"[]")',
  '  def log_message(self, *args): pass',
  'h.ThreadingHTTPServer(("", 8888), H).serve_forever()',
].join('\n');

let t: TestHub;

beforeAll(async () => {
  t = await startTestHub(
    { spawner: { cmd: ['python3', '-c', SERVER] }, culler: { timeout: TIMEOUT_S, cull_every: 1 } },
    { overrides: { serverTiming: { activityFlushMs: 100 } } },
  );
  t.users.ensure('alice');
  t.users.ensure('bob');
  expect(await t.hub.servers.start('alice')).toBe('started');
  expect(await t.hub.servers.start('bob')).toBe('started');
});
afterAll(() => t?.cleanup());

describe('the culler and a request in flight', () => {
  it('keeps a server whose request is held open longer than culler.timeout, while an idle one is culled', async () => {
    const started = Date.now();
    const held = fetch(`${t.url}/user/alice/hold`);
    await waitFor(() => expect(t.hub.servers.get('bob')?.status).toBe('stopped'), { timeoutMs: 60_000 });
    const answer = await held;
    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(HOLD_S * 1000);
    expect(t.hub.servers.get('alice')?.status).toBe('running');
  });
});
