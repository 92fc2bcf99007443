// GET /hub/health: whether the database and the Docker engine answer. 200 when both do, 503 otherwise.
import { Hono } from 'hono';
import type { AppEnv } from './env.js';

export interface HealthChecks {
  database(): void;
  docker(): Promise<unknown>;
}

export function healthRoutes(checks: HealthChecks): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.on(['GET', 'HEAD'], '/health', async (c) => {
    const database = probe(() => checks.database());
    const docker = await probeAsync(() => withTimeout(checks.docker(), 3000));
    const ok = database.ok && docker.ok;
    return c.json({ status: ok ? 'ok' : 'unhealthy', database, docker }, ok ? 200 : 503);
  });
  return app;
}

function probe(fn: () => void): { ok: boolean; error?: string } {
  try {
    fn();
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

async function probeAsync(fn: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  try {
    await fn();
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
