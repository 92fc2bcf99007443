// A proxy thread's own descriptor of the one listening socket, so several threads accept on the public port and each
// can close (or die) without closing the port under the others. Threads share the process's descriptors, but a
// server made with listen({ fd }) closes that very number when it closes: one thread's close would end every other
// thread's listening, and a number closed twice may by then be a database file. Node 20 has neither reusePort nor
// dup(); the one way to a new descriptor is SCM_RIGHTS: a short-lived child process is given the socket and sends
// it back over its IPC channel, where it arrives as a new descriptor owned by this thread alone.
import { spawn } from 'node:child_process';

/** What node:net's listen() takes as an existing listening socket (a libuv TCP handle). */
export type ListenHandle = object;

// The child holds the socket as its descriptor 3 and never listens on it, so it accepts no connection.
const CHILD = `const net = require('node:net');
const socket = new net.Socket({ fd: 3, readable: false, writable: false });
process.send('listener', socket._handle, () => process.disconnect());`;

/** A new handle on the listening socket that `fd` (a descriptor of this process) holds. */
export function duplicateListener(fd: number, timeoutMs = 30_000): Promise<ListenHandle> {
  return new Promise((resolve, reject) => {
    // No environment: NODE_OPTIONS (a loader, an inspector) has no business in a process this small.
    const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['ignore', 'ignore', 'pipe', fd, 'ipc'], env: {} });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill(), timeoutMs);
    child.once('message', (_message, handle) => {
      clearTimeout(timer);
      if (handle === undefined) reject(new Error('the helper process sent no socket'));
      else resolve(handle);
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start a helper process to share the public port between threads (${process.execPath}): ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // After a message this does nothing: the promise is settled.
      reject(new Error(`the helper process sharing the public port between threads exited (${signal ?? `code ${code}`}) without sending it${stderr ? `: ${stderr.trim()}` : ''}`));
    });
  });
}
