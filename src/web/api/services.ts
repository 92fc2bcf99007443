// GET /hub/api/services[/:name]: the hub.yaml services, all external (Berth runs none itself, so command/pid are empty).
// Services cannot be added through the API: hub.yaml is the one place they are declared.
import { Hono } from 'hono';
import type { ScopeSet } from '../../auth/scopes.js';
import { HttpError } from '../../errors.js';
import { findService } from '../../services/service-specs.js';
import type { AppEnv } from '../env.js';
import { onService, requireScope } from '../middleware/require-scope.js';
import type { ApiDeps } from './deps.js';

export function serviceRoutes(deps: ApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // JupyterHub 5's service_model and its access map: kind, name and admin for any read scope, roles with
  // read:roles:services, the rest with read:services. Berth runs no services itself: command [] and pid 0.
  const model = (name: string, scopes: ScopeSet) => {
    const service = findService(deps.config, name)!;
    const allows = (n: 'read:roles:services' | 'read:services') => scopes.holds(n, { service: name }) === 'yes';
    const out: Record<string, unknown> = { kind: 'service', name, admin: service.admin };
    if (allows('read:roles:services')) out.roles = service.admin ? ['admin'] : [];
    if (allows('read:services')) {
      Object.assign(out, {
        url: service.url ?? '', prefix: service.url === null ? '' : service.prefix, command: [], pid: 0, info: service.info, display: service.display,
      });
    }
    return out;
  };

  app.get('/services', requireScope('list:services', 'any'), (c) => {
    const caller = c.var.caller;
    const names = deps.config.services.map((s) => s.name).filter((n) => caller.scopes.holds('list:services', { service: n }) === 'yes');
    return c.json(Object.fromEntries(names.map((n) => [n, model(n, caller.scopes)])));
  });

  app.get('/services/:name', requireScope(['read:services', 'read:services:name', 'read:roles:services'], onService), (c) => {
    const name = c.req.param('name');
    if (findService(deps.config, name) === null) throw new HttpError(404, `No such service: ${name}`);
    return c.json(model(name, c.var.caller.scopes));
  });
  return app;
}
