// WebSocket load client, run as its own process: `node --import tsx bench/clients/ws-client.ts '<json>'`.
// mode "echo": N connections each send a message, wait for its echo, repeat, for S seconds → JSON on stdout.
// mode "hold": opens N connections, prints {"open": N}, keeps them until stdin closes or says "close".
import WebSocket from 'ws';

interface Args {
  mode: 'echo' | 'hold';
  url: string;
  connections: number;
  bytes: number;
  seconds: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const MAX_SAMPLES = 500_000;

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
  });
}

async function echo(): Promise<void> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < args.connections; i++) sockets.push(await open(args.url));
  const payload = Buffer.alloc(args.bytes, 120);
  const samples: number[] = [];
  let messages = 0;
  let errors = 0;
  const endAt = performance.now() + args.seconds * 1000;
  const began = performance.now();
  await Promise.all(sockets.map((ws) => new Promise<void>((resolve) => {
    let sentAt = 0;
    const send = () => {
      if (performance.now() >= endAt) return resolve();
      sentAt = performance.now();
      ws.send(payload, { binary: true });
    };
    ws.on('message', (data: Buffer) => {
      const ms = performance.now() - sentAt;
      if (data.length !== args.bytes) errors++;
      messages++;
      if (samples.length < MAX_SAMPLES) samples.push(ms);
      send();
    });
    ws.on('error', () => {
      errors++;
      resolve();
    });
    ws.on('close', () => resolve());
    send();
  })));
  const elapsed = (performance.now() - began) / 1000;
  for (const ws of sockets) ws.terminate();
  samples.sort((a, b) => a - b);
  const pct = (p: number) => (samples.length ? samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))] : NaN);
  process.stdout.write(JSON.stringify({ messages, seconds: elapsed, messagesPerSec: messages / elapsed, p50: pct(50), p99: pct(99), errors }));
}

async function hold(): Promise<void> {
  const sockets: WebSocket[] = [];
  let failed = 0;
  // Open in batches so the hub and the backend see a burst, not a single flood of 1,000 handshakes.
  for (let i = 0; i < args.connections; i += 50) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(50, args.connections - i) }, () => open(args.url)));
    for (const r of batch) r.status === 'fulfilled' ? sockets.push(r.value) : failed++;
  }
  process.stdout.write(`${JSON.stringify({ open: sockets.length, failed })}\n`);
  await new Promise<void>((resolve) => {
    process.stdin.on('data', (d) => String(d).includes('close') && resolve());
    process.stdin.on('end', () => resolve());
  });
  for (const ws of sockets) ws.terminate();
}

(args.mode === 'hold' ? hold() : echo()).then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`ws-client: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
