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

/** A server that sends BODY_BYTES as soon as a connection opens. */
async function bulkServer(): Promise<string> {
  const server = net.createServer((socket) => socket.end(Buffer.alloc(BODY_BYTES, 7)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Read {
  /** The size of the buffer the read landed in. */
  buffer: number;
  arrayBuffer: ArrayBufferLike;
  length: number;
}

/** Reads the whole body through a pooled connection; `keep` says, per read, whether its owner keeps the chunk. */
async function readAll(target: string, keep: (read: number) => boolean): Promise<Read[]> {
  const pool = new BackendPool();
  cleanup.push(() => pool.destroyAll());
  const reads: Read[] = [];
  let conn: BackendConnection;
  await new Promise<void>((resolve, reject) => {
    conn = pool.acquire(target, {
      onBackendData(chunk) {
        reads.push({ buffer: chunk.buffer.byteLength, arrayBuffer: chunk.buffer, length: chunk.length });
        if (keep(reads.length - 1)) conn.keepChunk();
      },
      onBackendDrain() {},
      onBackendClose: (err) => (err ? reject(err) : resolve()),
    });
  });
  expect(reads.reduce((sum, read) => sum + read.length, 0)).toBe(BODY_BYTES);
  return reads;
}

describe('BackendConnection reads', () => {
  it('reads small until a read fills the buffer, then bulk, reusing one buffer while no chunk is kept', async () => {
    const reads = await readAll(await bulkServer(), () => false);
    expect(reads[0].buffer).toBe(READ_BYTES);
    const firstFull = reads.findIndex((read) => read.length === read.buffer);
    expect(firstFull).toBeGreaterThanOrEqual(0);
    const after = reads.slice(firstFull + 1);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((read) => read.buffer === BULK_READ_BYTES)).toBe(true);
    expect(new Set(after.map((read) => read.arrayBuffer)).size).toBe(1);
  });

  it('reads into small buffers while the client leaves chunks unsent, so a slow client never holds bulk buffers', async () => {
    const reads = await readAll(await bulkServer(), () => true);
    // Every chunk kept: each read in a buffer of its own, and each of those small, though most reads fill it.
    expect(new Set(reads.map((read) => read.arrayBuffer)).size).toBe(reads.length);
    expect(reads.filter((read) => read.length === read.buffer).length).toBeGreaterThan(reads.length / 2);
    expect(reads.every((read) => read.buffer === READ_BYTES)).toBe(true);
  });

  it('goes back to bulk reads once the client keeps up again', async () => {
    const reads = await readAll(await bulkServer(), (read) => read < 10);
    expect(reads.slice(0, 11).every((read) => read.buffer === READ_BYTES)).toBe(true);
    expect(reads.slice(11).some((read) => read.buffer === BULK_READ_BYTES)).toBe(true);
  });
});
