// A proxy thread that says it listens and then dies of an uncaught exception, as a bug in the real one would.
import { parentPort } from 'node:worker_threads';

parentPort!.postMessage({ type: 'listening', address: { address: '127.0.0.1', family: 'IPv4', port: 1 } });
setTimeout(() => {
  throw new Error('proxy thread bug');
}, 50);
