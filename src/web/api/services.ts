// GET /hub/api/services[/:name]: the hub.yaml services (Berth runs none itself, so url/command/pid are empty).
// Services cannot be added through the API: hub.yaml is the one place they are declared.
import { Hono } from 'hono';
import { holds, scopeFilter } from '../../auth/scopes.js';
import { HttpError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { requireScopes } from '../middleware/authorize.js';
import type { ApiDeps } from './deps.js';

export function serviceRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const model = (name: string, scopes: readonly string[]) => {
    const service = deps.config.services.find((s) => s.name === name)!;
    const allows = (n: string) => holds(scopes, n, { service: name }) === 'yes';
    const out: Record<string, unknown> = { kind: 'service', name, admin: service.admin };
    if (allows('read:roles:services')) out.roles = service.admin ? ['admin'] : [];
    if (allows('read:services')) Object.assign(out, { url: '', prefix: '', command: [], pid: 0, info: {}, display: false });
    return out;
  };

  app.get('/services', (c) => {
    const caller = requireScopes(c, ['list:services']);
    const visible = scopeFilter(caller.scopes, 'list:services');
    const names = deps.config.services.map((s) => s.name).filter((n) => visible === 'all' || (visible !== null && visible({ service: n })));
    return c.json(Object.fromEntries(names.map((n) => [n, model(n, caller.scopes)])));
  });

  app.get('/services/:name', (c) => {
    const name = c.req.param('name');
    const caller = requireScopes(c, ['read:services', 'read:services:name', 'read:roles:services'], { service: name });
    if (!deps.config.services.some((s) => s.name === name)) throw new HttpError(404, `No such service: ${name}`);
    return c.json(model(name, caller.scopes));
  });
  return app;
}
