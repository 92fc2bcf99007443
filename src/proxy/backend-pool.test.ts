// How a backend connection sizes its reads: small for small answers, bulk once a read fills the buffer, one buffer
// reused while the client keeps up, and small while chunks are kept for a client that does not.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendPool, BULK_READ_BYTES, READ_BYTES, type BackendConnection } from './backend-pool.js';

const BODY_BYTES = 4 * 1024 * 1024;

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const step of cleanup) step();
  cleanup = [];
});

/** A server that sends BODY_BYTES as soon as a connection opens, then `trickle` single bytes 20 ms apart. */
async function bulkServer(trickle = 0): Promise<string> {
  const server = net.createServer(async (socket) => {
    socket.write(Buffer.alloc(BODY_BYTES, 7));
    for (let i = 0; i < trickle; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      socket.write('x');
    }
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Read {
  /** The size of the buffer the read landed in. */
  bufferSize: number;
  arrayBuffer: ArrayBufferLike;
  length: number;
}

/** Reads the whole body through a pooled connection; `keep` says, per read, whether its owner keeps the chunk. */
async function readAll(target: string, keep: (read: number) => boolean, bytes = BODY_BYTES): Promise<Read[]> {
  const pool = new BackendPool();
  cleanup.push(() => pool.destroyAll());
  const reads: Read[] = [];
  let conn: BackendConnection;
  await new Promise<void>((resolve, reject) => {
    conn = pool.acquire(target, {
      onBackendData(chunk) {
        reads.push({ bufferSize: chunk.buffer.byteLength, arrayBuffer: chunk.buffer, length: chunk.length });
        if (keep(reads.length - 1)) conn.keepChunk();
      },
      onBackendDrain() {},
      onBackendClose: (err) => (err ? reject(err) : resolve()),
    });
  });
  expect(reads.reduce((sum, read) => sum + read.length, 0)).toBe(bytes);
  return reads;
}

describe('BackendConnection reads', () => {
  it('reads small until a read fills the buffer, then bulk, reusing one buffer while no chunk is kept', async () => {
    const reads = await readAll(await bulkServer(), () => false);
    expect(reads[0].bufferSize).toBe(READ_BYTES);
    expect(reads.some((read) => read.bufferSize === BULK_READ_BYTES)).toBe(true);
    for (let i = 1; i < reads.length; i++) {
      const before = reads[i - 1];
      if (before.length !== before.bufferSize) continue; // a short read sends the next back to small (below)
      expect(reads[i].bufferSize, `read ${i}`).toBe(BULK_READ_BYTES);
      if (before.bufferSize === BULK_READ_BYTES) expect(reads[i].arrayBuffer, `read ${i}`).toBe(before.arrayBuffer);
    }
  });

  it('reads into small buffers while the client leaves chunks unsent, so a slow client never holds bulk buffers', async () => {
    const reads = await readAll(await bulkServer(), () => true);
    // Every chunk kept: each read in a buffer of its own, and each of those small, though most reads fill it.
    expect(new Set(reads.map((read) => read.arrayBuffer)).size).toBe(reads.length);
    expect(reads.filter((read) => read.length === read.bufferSize).length).toBeGreaterThan(reads.length / 2);
    expect(reads.every((read) => read.bufferSize === READ_BYTES)).toBe(true);
  });

  it('goes back to bulk reads once the client keeps up again', async () => {
    const reads = await readAll(await bulkServer(), (read) => read < 10);
    expect(reads.slice(0, 11).every((read) => read.bufferSize === READ_BYTES)).toBe(true);
    expect(reads.slice(11).some((read) => read.bufferSize === BULK_READ_BYTES)).toBe(true);
  });

  it('goes back to small reads when a server trickles after a large burst, so it pins no bulk buffer', async () => {
    const trickle = 5;
    const reads = await readAll(await bulkServer(trickle), () => false, BODY_BYTES + trickle);
    expect(reads.some((read) => read.bufferSize === BULK_READ_BYTES)).toBe(true);
    const tail = reads.slice(-trickle);
    expect(tail.map((read) => read.length)).toEqual(Array(trickle).fill(1));
    // The first lone byte lands in the bulk buffer read before it; every read after a short one is small.
    expect(tail.slice(1).every((read) => read.bufferSize === READ_BYTES)).toBe(true);
  });
});
