// Client reads without node:stream: a plain TCP connection the listener accepts paused is re-made as a socket whose
// reads land in one buffer the whole thread shares (node's `onread`), handed to its reader as a view that is good
// only until the reader returns. No Buffer, 'data' event or readable-state bookkeeping per read; the reader copies
// what it must keep (a partial head, pipelined bytes, an upload's bytes). Node 20 has no `onread` for the sockets a
// net.Server makes, so the accepted socket's handle is taken over by a new one (net.Socket honours `onread` with a
// `handle`).
import net from 'node:net';

/** What a connection's reads go to; the view is a part of the shared buffer, good until onClientRead returns. */
export interface ClientReader {
  /** False: stop reading until the socket is resumed (as a stream's push() says). */
  onClientRead(view: Buffer): boolean;
}

/** Node's own read size: a read never brings more than this. */
const READ_BYTES = 64 * 1024;

const READER = Symbol('client reader');

interface ReadingSocket extends net.Socket {
  [READER]: ClientReader | null;
}

/** The reader of a socket no reader was set for yet: nothing is meant to arrive before it is. */
const NOBODY: ClientReader = { onClientRead: () => false };

/** The net.Server fields onconnection sets and node's internals read; not in @types/node. */
interface ServerSocket extends net.Socket {
  server: net.Server | null;
  _server: net.Server | null;
  _handle: object | null;
}

export class SharedReads {
  /** Reads are synchronous and one at a time on a thread, so one buffer serves every connection. */
  readonly buffer = Buffer.allocUnsafeSlow(READ_BYTES);

  /**
   * A socket for `accepted`'s connection that reads into the shared buffer. `accepted` must come from a server with
   * `pauseOnConnect` (it has not read a byte); it is left without its handle and must not be used again.
   * Nothing is read until a reader is set (setReader): reads before that close the connection.
   */
  adopt(accepted: net.Socket): net.Socket {
    const raw = accepted as ServerSocket;
    const handle = raw._handle;
    raw._handle = null;
    const socket = new net.Socket({
      handle,
      allowHalfOpen: raw.allowHalfOpen,
      readable: true,
      writable: true,
      onread: { buffer: this.buffer, callback: onRead },
    } as net.SocketConstructorOpts) as ServerSocket & ReadingSocket;
    socket[READER] = NOBODY;
    // The server counts its connections (server.close waits for them) by the socket onconnection made.
    socket.server = raw.server;
    socket._server = raw._server;
    return socket;
  }

  /** True when `buf` is (a view of) the shared buffer, so it must be copied to outlive the read. */
  holds(buf: Buffer): boolean {
    return buf.buffer === this.buffer.buffer;
  }
}

/** Where a socket made by adopt() sends its reads from now on; null: node:stream's reads again (a hand-over). */
export function setReader(socket: net.Socket, reader: ClientReader | null): void {
  if (READER in socket) (socket as ReadingSocket)[READER] = reader;
}

/** True for a socket made by SharedReads.adopt. */
export function readsShared(socket: net.Socket): boolean {
  return READER in socket;
}

// Called by node as a method of the socket (stream_base_commons' onStreamRead), so no closure per connection.
function onRead(this: ReadingSocket, length: number, buffer: Uint8Array): boolean {
  const reader = this[READER];
  if (reader === NOBODY) {
    this.destroy();
    return false;
  }
  if (reader !== null) return reader.onClientRead((buffer as Buffer).subarray(0, length));
  // Handed over (node:http, an upgrade's pipe): the bytes go the way a stream's reads do, as a copy of their own.
  return this.push(Buffer.copyBytesFrom(buffer, 0, length));
}
