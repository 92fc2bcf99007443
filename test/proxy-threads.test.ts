// Several proxy threads on the one public port (hub.proxy_threads): both serve it, each follows the route table and
// every reload, their activity is merged and their counters summed, the per-client cap holds for the hub as a whole,
// a thread that dies is started again, and closing leaves no descriptor behind.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { startProxyThreads, type ProxyThreads, type ProxyThreadsOptions } from '../src/proxy/threads.js';
import { startBackend } from './helpers/proxy-harness.js';
import { createTestCa } from './helpers/test-certificates.js';
import { feed, sink } from './helpers/route-feed.js';
import { waitFor } from './helpers/wait-for.js';

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

async function start(options: Partial<ProxyThreadsOptions> & Pick<ProxyThreadsOptions, 'routes'>): Promise<ProxyThreads & { url: string }> {
  const hubApp = await startBackend((_req, res) => res.end('hub app'));
  closers.push(hubApp.close);
  const threads = await startProxyThreads({
    count: 2, baseUrl: '/', host: '127.0.0.1', port: 0, hubTarget: hubApp.url, logger: sink().logger, activityIntervalMs: 0,
    onExit: () => undefined, ...options,
  });
  closers.push(() => threads.close(0));
  return Object.assign(threads, { url: `http://127.0.0.1:${threads.address().port}` });
}

/** How many 2xx answers each thread has counted. */
async function served(threads: ProxyThreads): Promise<number[]> {
  return (await threads.countsByThread()).map((counts) => counts?.requests['2xx'] ?? 0);
}

/**
 * Runs `request` (each time on a new connection) until every thread has answered at least one of them, checking each
 * answer; the kernel gives each connection to whichever thread takes it first, so a few rounds are enough.
 */
async function untilEveryThreadServed(threads: ProxyThreads, request: () => Promise<void>): Promise<void> {
  await waitFor(async () => {
    // Counted per round: a round with a wrong answer does not count, nor do the threads that served it.
    const before = await served(threads);
    await Promise.all(Array.from({ length: 8 }, request));
    const now = await served(threads);
    expect(now.map((count, i) => count > before[i]!)).toEqual(now.map(() => true));
  }, { timeoutMs: 30_000 });
}

const fresh = (url: string) => fetch(url, { headers: { connection: 'close' }, redirect: 'manual' });

describe('proxy threads on one port', () => {
  it('serve the port together, each with the routes it started with and every change after, and sum their counters', async () => {
    const alice = await startBackend((req, res) => res.end(`alice got ${req.url}`));
    closers.push(alice.close);
    const f = feed([['alice', alice.url]]);
    const threads = await start({ routes: f.routes });
    await untilEveryThreadServed(threads, async () => {
      expect(await (await fresh(`${threads.url}/user/alice/x`)).text()).toBe('alice got /user/alice/x');
    });

    const bob = await startBackend((_req, res) => res.end('bob here'));
    closers.push(bob.close);
    f.change('bob', bob.url);
    // Route messages reach a thread before any connection accepted after them; one thread missing it would redirect.
    await untilEveryThreadServed(threads, async () => {
      expect(await (await fresh(`${threads.url}/user/bob/`)).text()).toBe('bob here');
    });
    f.change('bob', null);
    await waitFor(async () => {
      for (let i = 0; i < 16; i++) expect((await fresh(`${threads.url}/user/bob/`)).status).toBe(302); // not running: to the hub's page
    });

    const [each, sum] = await Promise.all([threads.countsByThread(), threads.counts()]);
    expect(each.every((counts) => counts !== null && counts.requests['2xx'] > 0)).toBe(true);
    expect(sum!.requests['2xx']).toBe(each.reduce((total, counts) => total + counts!.requests['2xx'], 0));
    expect(sum!.bytesOut).toBe(each.reduce((total, counts) => total + counts!.bytesOut, 0));
  });

  it('merge the activity both threads see into one note per user per interval', async () => {
    const carol = await startBackend((_req, res) => res.end('carol here'));
    closers.push(carol.close);
    const f = feed([['carol', carol.url]]);
    const threads = await start({ routes: f.routes, activityIntervalMs: 600_000 });
    await untilEveryThreadServed(threads, async () => {
      expect(await (await fresh(`${threads.url}/user/carol/`)).text()).toBe('carol here');
    });
    // Each thread noted carol once; the hub passed on only the first.
    expect(f.notes.activity).toEqual(['carol']);
  });

  it('hold a client to hub.max_connections_per_client across both threads, and reach both with a new cap', async () => {
    const log = sink();
    const threads = await start({ routes: feed([]).routes, logger: log.logger, maxConnectionsPerClient: 3 });
    const held: net.Socket[] = [];
    closers.push(async () => held.forEach((socket) => socket.destroy()));
    /** Opens a connection, asks for /hub/ and says whether it was answered (admitted) or reset (refused). */
    const attempt = () => new Promise<'answered' | 'refused'>((resolve) => {
      const socket = net.connect(threads.address().port, '127.0.0.1');
      held.push(socket);
      socket.on('error', () => undefined);
      socket.once('data', () => resolve('answered'));
      socket.once('close', () => resolve('refused'));
      socket.write('GET /hub/ HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    for (let i = 0; i < 3; i++) expect(await attempt()).toBe('answered');
    // Over the cap, each thread that takes a connection refuses it (and logs it, once a minute); with a count of its
    // own, the thread holding fewer than 3 would have let it in.
    await waitFor(async () => {
      expect(await attempt()).toBe('refused');
      const refusing = new Set(log.lines.filter((l) => String(l.msg).includes('too many connections')).map((l) => l.thread));
      expect([...refusing].sort()).toEqual([0, 1]);
    }, { timeoutMs: 30_000 });

    threads.setLimits({ keepAliveTimeoutMs: 65_000, requestHeaderTimeoutMs: 10_000, trustedProxies: [], maxConnectionsPerClient: 5 });
    await waitFor(async () => expect(await attempt()).toBe('answered'));
    expect(await attempt()).toBe('answered');
    // 5 held now, whichever threads hold them.
    for (let i = 0; i < 6; i++) expect(await attempt()).toBe('refused');
  });

  it('send a new set of services and a new certificate to every thread', async () => {
    const ca = createTestCa();
    closers.push(async () => ca.close());
    const [first, second] = [ca.issue(), ca.issue()];
    const metrics = await startBackend((_req, res) => res.end('service here'));
    closers.push(metrics.close);
    const threads = await start({ routes: feed([]).routes, tls: first });
    threads.setServices([['stats', metrics.url]]);
    threads.setCertificate(second);
    await untilEveryThreadServed(threads, async () => {
      const { fingerprint, body } = await new Promise<{ fingerprint: string; body: string }>((resolve, reject) => {
        const req = https.get(`https://127.0.0.1:${threads.address().port}/services/stats/`, { ca: ca.cert, agent: false }, (res) => {
          const fingerprint = (res.socket as tls.TLSSocket).getPeerX509Certificate()!.fingerprint256;
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ fingerprint, body }));
        });
        req.on('error', reject);
      });
      expect(body).toBe('service here');
      expect(fingerprint).toBe(second.fingerprint);
    });
  });

  it('start a thread again in place of one that dies, which gets the routes as they are now, and keep its counts', async () => {
    const dave = await startBackend((_req, res) => res.end('dave here'));
    closers.push(dave.close);
    const f = feed([]);
    const log = sink();
    const exits: number[] = [];
    const threads = await start({
      routes: f.routes, logger: log.logger, onExit: (code) => void exits.push(code),
      module: new URL('./fakes/fragile-proxy-worker.ts', import.meta.url),
    });
    await untilEveryThreadServed(threads, async () => {
      expect(await (await fresh(`${threads.url}/hub/`)).text()).toBe('hub app');
    });
    const before = (await threads.counts())!;
    f.change('crash', dave.url); // thread 1 dies of it
    await waitFor(() => expect(log.lines.some((l) => l.level === 'info' && l.thread === 1 && String(l.msg).includes('started again'))).toBe(true));
    expect(log.lines.some((l) => l.level === 'error' && l.thread === 1 && String(l.msg).includes('a proxy thread stopped'))).toBe(true);
    // What the dead thread had answered stays counted (thread 1 answered some of them): the hub's counters never go back.
    const after = (await threads.counts())!;
    expect(after.requests['2xx']).toBe(before.requests['2xx']);
    expect(after.bytesOut).toBe(before.bytesOut);
    f.change('dave', dave.url);
    await untilEveryThreadServed(threads, async () => {
      expect(await (await fresh(`${threads.url}/user/crash/`)).text()).toBe('dave here'); // from the snapshot
      expect(await (await fresh(`${threads.url}/user/dave/`)).text()).toBe('dave here'); // a change after
    });
    expect(exits).toEqual([]);
  });

  it('stop the hub, loudly, when threads keep dying', async () => {
    const log = sink();
    const exits: number[] = [];
    await start({
      count: 1, routes: feed([]).routes, logger: log.logger, onExit: (code) => void exits.push(code),
      module: new URL('./fakes/crashing-proxy-worker.ts', import.meta.url),
    });
    await waitFor(() => expect(exits).toHaveLength(1));
    expect(exits[0]).not.toBe(0);
    expect(log.lines.filter((l) => l.level === 'error' && String(l.msg).includes('a proxy thread stopped'))).toHaveLength(5);
    expect(log.lines.some((l) => l.level === 'fatal' && String(l.msg).includes('proxy threads stopped 6 times'))).toBe(true);
  });

  it('start one at first and another only once every running thread is busy, up to the most allowed', async () => {
    const idleLog = sink();
    const idle = await start({ count: 2, startWith: 1, routes: feed([]).routes, logger: idleLog.logger });
    expect(await (await fresh(`${idle.url}/hub/`)).text()).toBe('hub app');
    // Three load reports of an idle thread: nothing more starts.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect((await idle.countsByThread()).map((counts) => counts !== null)).toEqual([true, false]);
    expect(idle.running()).toBe(1);
    expect(idleLog.lines.some((l) => String(l.msg).includes('every proxy thread is busy'))).toBe(false);

    const busyLog = sink();
    const busy = await start({
      count: 2, startWith: 1, routes: feed([]).routes, logger: busyLog.logger,
      module: new URL('./fakes/busy-proxy-worker.ts', import.meta.url),
    });
    await waitFor(async () => expect((await busy.countsByThread()).map((counts) => counts !== null)).toEqual([true, true]), { timeoutMs: 30_000 });
    const grew = busyLog.lines.filter((l) => String(l.msg).includes('every proxy thread is busy: starting another on the public port'));
    expect(grew).toHaveLength(1);
    expect(grew[0]).toMatchObject({ level: 'info', thread: 1, threads: 2 });
    expect(grew[0]!.utilization).toBeGreaterThanOrEqual(0.5);
    expect(busy.running()).toBe(2);
    // The new thread serves the port beside the first; at the most allowed, no third is tried however busy both are.
    await waitFor(async () => {
      for (const answer of await Promise.all(Array.from({ length: 8 }, () => fresh(`${busy.url}/hub/`)))) expect(await answer.text()).toBe('hub app');
      expect((await served(busy))[1]).toBeGreaterThan(0);
    }, { timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(busyLog.lines.filter((l) => String(l.msg).includes('every proxy thread is busy'))).toHaveLength(1);
  });

  it('close the port and every descriptor of it they opened when they stop', async () => {
    const hubApp = await startBackend((_req, res) => res.end('hub app'));
    closers.push(hubApp.close);
    const threads = await startProxyThreads({
      count: 3, baseUrl: '/', host: '127.0.0.1', port: 0, hubTarget: hubApp.url, routes: feed([]).routes, logger: sink().logger, onExit: () => undefined,
    });
    const { port } = threads.address();
    expect(await (await fresh(`http://127.0.0.1:${port}/hub/`)).text()).toBe('hub app');
    const socket = listeningSocketOf(port);
    await waitFor(() => expect(descriptorsOf(socket)).toBe(3)); // one of its own per thread, once all joined
    await threads.close(0);
    await expect(fetch(`http://127.0.0.1:${port}/hub/`)).rejects.toThrow();
    expect(descriptorsOf(socket)).toBe(0);
  });

  it('stop cleanly when closed while threads are still joining, leaving no descriptor of the port', async () => {
    const hubApp = await startBackend((_req, res) => res.end('hub app'));
    closers.push(hubApp.close);
    const threads = await startProxyThreads({
      count: 3, baseUrl: '/', host: '127.0.0.1', port: 0, hubTarget: hubApp.url, routes: feed([]).routes, logger: sink().logger, onExit: () => undefined,
    });
    const socket = listeningSocketOf(threads.address().port);
    await threads.close(0); // at once: threads 1 and 2 are still being started and need thread 0's descriptor
    expect(descriptorsOf(socket)).toBe(0);
    await expect(fetch(`http://127.0.0.1:${threads.address().port}/hub/`)).rejects.toThrow();
  });
});

/** The inode of the socket listening on 127.0.0.1:`port`, from the kernel's table. */
function listeningSocketOf(port: number): string {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const row = readFileSync('/proc/net/tcp', 'utf8').split('\n').map((line) => line.trim().split(/\s+/))
    .find((fields) => fields[1] === `0100007F:${hexPort}` && fields[3] === '0A'); // 0A: LISTEN
  if (row === undefined) throw new Error(`nothing listens on 127.0.0.1:${port}`);
  return row[9]!;
}

/** How many descriptors of this process refer to the socket with this inode. */
function descriptorsOf(inode: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === `socket:[${inode}]`) count++;
    } catch {
      // closed while listed
    }
  }
  return count;
}
