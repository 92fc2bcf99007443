// The real proxy thread, except that thread 1 dies of an uncaught exception when a route named `crash` is set, as a
// bug would; the thread started in its place has the route in its snapshot and lives on.
import { parentPort, workerData } from 'node:worker_threads';
import type { ToWorker, WorkerSetup } from '../../src/proxy/thread.js';
import '../../src/proxy/worker.js';

parentPort!.on('message', (message: ToWorker) => {
  if (message.type === 'route' && message.name === 'crash' && (workerData as WorkerSetup).thread === 1) {
    setImmediate(() => {
      throw new Error('proxy thread bug');
    });
  }
});
