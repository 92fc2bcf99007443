// Whether a user's server answers HTTP, as JupyterHub checks a server it re-adopts after a restart (wait_up):
// a container can still run while the server inside it has hung or died.
import { httpRequest } from '../http-request.js';

/** Polls `url` until any answer below 500 (true) or until `timeoutMs` has passed (false). Never throws. */
export async function answersHttp(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 200;
  for (;;) {
    const left = deadline - Date.now();
    try {
      const res = await httpRequest(url, { timeoutMs: Math.max(100, Math.min(2000, left)), readBody: false });
      if (res.status < 500) return true;
    } catch {
      // refused, reset or timed out: not answering yet
    }
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now()))));
    delay = Math.min(delay * 2, 1000);
  }
}
