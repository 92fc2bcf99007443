// Issue 12's "a HubOAuthenticated service signing a user in": JupyterHub 5.2.1's own HubOAuth (the tornado mixin and
// callback handler of jupyterhub.services.auth, from the berth/singleuser:latest image), run as an external service
// in a container on the hub's network with the environment serviceEnvironment() lists, and reached only through the
// hub's public port at /services/grader/. A visitor goes there, is sent to the hub's authorize step, signs in
// through the GitHub stand-in, comes back to the service's oauth_callback, and the service's page shows the user
// get_current_user() returned, with the access scope the hub granted.
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ICC_OPTION } from '../../src/spawner/user-network.js';
import { serviceEnvironment } from '../../src/services/service-env.js';
import { startFakeGithub, type FakeGithub } from '../fakes/github.js';
import { CookieClient } from '../helpers/cookie-client.js';
import { freePort } from '../helpers/free-port.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';
import { waitFor } from '../helpers/wait-for.js';

const TOKEN = `grader-${randomBytes(16).toString('hex')}`;
const PORT = 10101;

/** JupyterHub's whoami-oauth example: the page is the user model get_current_user() returns. */
const SERVICE = `
import json, os
from tornado.ioloop import IOLoop
from tornado.web import Application, RequestHandler, authenticated
from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join

class WhoAmI(HubOAuthenticated, RequestHandler):
    @authenticated
    def get(self):
        self.set_header('content-type', 'application/json')
        self.write(json.dumps(self.get_current_user(), sort_keys=True))

prefix = os.environ['JUPYTERHUB_SERVICE_PREFIX']
app = Application([
    (url_path_join(prefix, 'oauth_callback'), HubOAuthCallbackHandler),
    (prefix + '.*', WhoAmI),
], cookie_secret=os.urandom(32))
app.listen(${PORT}, '0.0.0.0')
print('service listening', flush=True)
IOLoop.current().start()
`;

const docker = new Docker();
const run = randomBytes(4).toString('hex');
const labels = { 'berth.test': 'true', 'berth.test-run': `svc-${run}` };
const network = `berth-test-svc-${run}`;
let container: Docker.Container;
let gh: FakeGithub;
let t: TestHub;
/** What the service printed (kept for a failing test's message). */
let serviceLog = '';

beforeAll(async () => {
  // The service's address must be in hub.yaml before the hub starts: the network is made here (isolated, as Berth
  // makes its own) with the service's container idling on it; the hub adopts the network, and the service is then
  // started in that container with the environment it needs (the hub's API address is known once the hub runs).
  await docker.createNetwork({ Name: network, Driver: 'bridge', Labels: labels, Options: { [ICC_OPTION]: 'false' } });
  const gateway = (await docker.getNetwork(network).inspect()).IPAM!.Config![0]!.Gateway as string;
  container = await docker.createContainer({
    Image: 'berth/singleuser:latest', Labels: labels, Entrypoint: ['sleep', 'infinity'], Cmd: [], HostConfig: { NetworkMode: network },
  });
  await container.start();
  const ip = (await container.inspect()).NetworkSettings.Networks[network]!.IPAddress;

  gh = await startFakeGithub({ clientId: 'cid', clientSecret: 'csecret', login: 'Alice' });
  t = await startTestHub({
    // A fixed port: the GitHub stand-in sends the browser back to the public URL, which names it.
    hub: { bind: `127.0.0.1:${await freePort()}` },
    auth: {
      allowed_users: ['alice'], extra_user_scopes: ['access:services!service=grader'],
      github: { client_id: 'cid', client_secret: 'csecret', url: gh.url, api_url: gh.apiUrl },
    },
    spawner: { network },
    services: [{ name: 'grader', url: `http://${ip}:${PORT}`, api_token: TOKEN, oauth_no_confirm: true }],
  });
  const env = serviceEnvironment(t.config, 'grader', `http://${gateway}:8081/hub/api`)!;
  const exec = await container.exec({ Cmd: ['python3', '-c', SERVICE], Env: Object.entries(env).map(([k, v]) => `${k}=${v}`), AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  stream.on('data', (chunk: Buffer) => (serviceLog += chunk.toString('latin1')));
  await waitFor(() => expect(serviceLog).toContain('service listening'), { timeoutMs: 60_000 });
}, 180_000);

afterAll(async () => {
  await container?.remove({ force: true }).catch(() => undefined);
  await t?.cleanup();
  await docker.getNetwork(network).remove().catch(() => undefined);
  await gh?.close();
});

describe('a HubOAuthenticated service behind Berth', () => {
  it('signs alice in through the hub: /services/grader/ → authorize → GitHub → oauth_callback → her name', async () => {
    const alice = new CookieClient(t.url);
    const login = await alice.navigate('/services/grader/');
    expect(login.status).toBe(200);
    const atLogin = new URL(alice.hops.at(-1)!.url);
    expect(atLogin.pathname).toBe('/hub/login');
    const next = atLogin.searchParams.get('next')!;
    expect(new URL(next, t.url).pathname).toBe('/hub/api/oauth2/authorize');
    expect(new URL(next, t.url).searchParams.get('client_id')).toBe('service-grader');

    const page = await alice.navigate(`/hub/oauth_login?next=${encodeURIComponent(next)}`);
    expect(page.status).toBe(200);
    const path = alice.hops.map((h) => new URL(h.url).pathname);
    expect(path).toEqual(expect.arrayContaining(['/hub/oauth_callback', '/hub/api/oauth2/authorize', '/services/grader/oauth_callback', '/services/grader/']));
    expect(page.headers.get('content-type'), serviceLog).toContain('application/json');
    const user = (await page.json()) as { name: string; kind: string; scopes: string[] };
    expect(user).toMatchObject({ kind: 'user', name: 'alice' });
    expect(user.scopes).toContain('access:services!service=grader');

    // Signed in to the service now: its own cookie answers without another round through the hub.
    const hops = alice.hops.length;
    const again = await alice.navigate('/services/grader/');
    expect(((await again.json()) as { name: string }).name).toBe('alice');
    expect(alice.hops.length).toBe(hops + 1);
  });
});
