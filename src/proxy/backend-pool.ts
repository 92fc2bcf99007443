// Keep-alive TCP connections from the fast lane to user servers, pooled per target. A connection lent out belongs to
// one exchange at a time; an idle one that speaks unprompted, errors or stays idle for 30 s is closed.
import net from 'node:net';
import { BACKEND_IDLE_TIMEOUT_MS, connectWithin, DEFAULT_BACKEND_CONNECT_TIMEOUT_MS, MAX_IDLE_PER_TARGET } from './policy/limits.js';

/** What a lent connection reports to the exchange that holds it. */
export interface BackendOwner {
  onBackendData(chunk: Buffer): void;
  onBackendDrain(): void;
  /** The connection is gone; `err` is set when it failed rather than ended. */
  onBackendClose(err: NodeJS.ErrnoException | undefined): void;
}


/**
 * How much one read from a server may bring: small while answers are small, so an idle pooled connection holds
 * little; 256 KiB once a read fills the buffer (a large body), until a read brings less than the small size (a server
 * trickling, or the end of the body) or the connection is idle again. A large body costs Node mostly per read and per
 * write rather than per byte: against node's usual 64 KiB, 256 KiB reads cut the proxy's CPU per 1 MB answer by a
 * quarter and its p99 at 100 connections by a fifth (bench/listener-ab); 16 KiB reads throughout doubled the CPU, and
 * 512 KiB or more saved nothing further.
 */
export const READ_BYTES = 16 * 1024;
export const BULK_READ_BYTES = 256 * 1024;

export class BackendConnection {
  readonly socket: net.Socket;
  owner: BackendOwner | null = null;
  /** True once it has carried a response: a failure before any answer may then be a stale keep-alive. */
  reused = false;
  private error: NodeJS.ErrnoException | undefined;
  /**
   * Where this connection's reads land, reused from one read to the next instead of a new buffer per read. The
   * chunk an owner is handed is a view of it, good until onBackendData returns unless the owner calls keepChunk().
   */
  private readBuffer: Buffer | null = null;
  private readSize = READ_BYTES;

  constructor(
    readonly target: string,
    host: string,
    port: number,
    private readonly pool: BackendPool,
  ) {
    const onread = { buffer: this.nextReadBuffer, callback: this.onRead };
    this.socket = connectWithin(net.connect({ host, port, noDelay: true, onread }), pool.connectTimeoutMs);
    // Refreshed by node on every read and write; only an idle (pooled) connection is closed by it.
    this.socket.setTimeout(BACKEND_IDLE_TIMEOUT_MS);
    this.socket.on('drain', () => this.owner?.onBackendDrain());
    this.socket.on('error', (err: NodeJS.ErrnoException) => (this.error = err));
    this.socket.on('timeout', () => {
      if (this.owner === null) this.socket.destroy();
    });
    this.socket.on('close', () => {
      this.pool.forget(this);
      const owner = this.owner;
      this.owner = null;
      owner?.onBackendClose(this.error);
    });
  }

  /**
   * The chunk last handed to the owner is still referenced after onBackendData returns (a write the client has not
   * taken in full, a partial head kept): the next reads go to a new buffer, and this one is left to its holder. The
   * new one is small, so a client slow to take a large body holds small buffers rather than one bulk buffer per read;
   * reads grow again once one fills its buffer and the client takes it at once.
   */
  keepChunk(): void {
    this.readBuffer = null;
    this.readSize = READ_BYTES;
  }

  /** Back in the pool: from the next read on, a small buffer again. */
  idle(): void {
    if (this.readSize === READ_BYTES) return;
    this.readSize = READ_BYTES;
    this.readBuffer = null;
  }

  // node asks for the buffer of the next read after each read (and once at the start).
  private readonly nextReadBuffer = (): Buffer => (this.readBuffer ??= Buffer.allocUnsafeSlow(this.readSize));

  private readonly onRead = (length: number, buffer: Buffer): boolean => {
    // A server that sent one full read and then trickles must not pin a bulk buffer on each of its connections.
    const size = length === buffer.length ? BULK_READ_BYTES : length < READ_BYTES ? READ_BYTES : this.readSize;
    if (size !== this.readSize) {
      this.readSize = size;
      this.readBuffer = null;
    }
    if (this.owner !== null) this.owner.onBackendData(buffer.subarray(0, length));
    else this.socket.destroy(); // unprompted bytes: nothing can be trusted on this connection any more
    return true; // the owner pauses the socket itself
  };

  get alive(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }
}

export class BackendPool {
  private readonly idle = new Map<string, BackendConnection[]>();
  private readonly addresses = new Map<string, { host: string; port: number }>();
  private readonly all = new Set<BackendConnection>();

  constructor(readonly connectTimeoutMs = DEFAULT_BACKEND_CONNECT_TIMEOUT_MS) {}

  /** An idle connection to `target` (`http://host:port`), or a new one. */
  acquire(target: string, owner: BackendOwner, fresh = false): BackendConnection {
    const idle = fresh ? undefined : this.idle.get(target);
    let conn: BackendConnection | undefined;
    while (idle !== undefined && idle.length > 0) {
      const candidate = idle.pop()!;
      if (candidate.alive) {
        conn = candidate;
        break;
      }
    }
    if (conn === undefined) {
      const { host, port } = this.address(target);
      conn = new BackendConnection(target, host, port, this);
      this.all.add(conn);
    }
    conn.owner = owner;
    return conn;
  }

  /** Takes a connection back after a complete response; it must not be used by its last owner again. */
  release(conn: BackendConnection): void {
    conn.owner = null;
    conn.reused = true;
    conn.idle();
    let idle = this.idle.get(conn.target);
    if (idle === undefined) {
      idle = [];
      this.idle.set(conn.target, idle);
    }
    if (!conn.alive || idle.length >= MAX_IDLE_PER_TARGET) {
      conn.socket.destroy();
      return;
    }
    idle.push(conn);
  }

  forget(conn: BackendConnection): void {
    this.all.delete(conn);
    const idle = this.idle.get(conn.target);
    if (idle === undefined) return;
    const at = idle.indexOf(conn);
    if (at !== -1) idle.splice(at, 1);
    if (idle.length === 0) this.idle.delete(conn.target);
  }

  /** Closes every connection, lent or idle (stopping the hub). */
  destroyAll(): void {
    for (const conn of this.all) conn.socket.destroy();
  }

  private address(target: string): { host: string; port: number } {
    let address = this.addresses.get(target);
    if (address === undefined) {
      const url = new URL(target);
      const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      address = { host, port: Number(url.port || 80) };
      if (this.addresses.size > 10_000) this.addresses.clear();
      this.addresses.set(target, address);
    }
    return address;
  }
}
