// How the hub waits for a started container: a server that starts listening while the hub polls is reported ready,
// and a container that exits while the hub polls fails the start at once, not when http_timeout runs out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../src/servers/servers.js';
import { startTestHub, type TestHub } from '../helpers/test-hub.js';

async function collect(events: AsyncIterable<ProgressEvent>): Promise<ProgressEvent[]> {
  const out: ProgressEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

// Far beyond the test's own 60 s limit: a start that waited for either would fail the test.
const PATIENT = { http_timeout: 600, start_timeout: 900 };

describe('a server that starts listening a second after its container', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ spawner: { ...PATIENT, environment: { BACKEND_DELAY_S: 1 } } }, { overrides: { serverTiming: { slowSpawnMs: 200 } } });
    t.users.ensure('alice');
  });
  afterAll(() => t?.cleanup());

  it('is reported ready once it answers, after the waiting step', async () => {
    expect(await t.hub.servers.start('alice')).toBe('pending');
    const events = await collect(t.hub.servers.progress('alice'));
    const waiting = events.findIndex((e) => e.message.startsWith('Waiting for the server to answer HTTP'));
    expect(waiting).toBeGreaterThan(-1);
    expect(events.at(-1)).toMatchObject({ ready: true, progress: 100 });
    expect(events.findIndex((e) => e.ready)).toBe(events.length - 1);
    expect(t.hub.servers.get('alice')).toMatchObject({ status: 'running', ready: true });
    expect((await fetch(`${t.hub.servers.target('alice')}/user/alice/echo`)).status).toBe(200);
  });
});

describe('a container that exits a second after it started', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ spawner: { ...PATIENT, cmd: ['sh', '-c', 'sleep 1; echo leaving now; exit 4'] } });
    t.users.ensure('bob');
  });
  afterAll(() => t?.cleanup());

  it('fails the start with its exit code and last log lines while the hub polls, long before http_timeout', async () => {
    const error = await t.hub.servers.start('bob').catch((err: unknown) => err);
    expect(error).toMatchObject({ status: 500 });
    expect((error as Error).message).toContain('The container exited with code 4');
    expect((error as Error).message).toContain('leaving now');
    expect(t.hub.servers.get('bob')).toMatchObject({ status: 'stopped', containerId: null });
    const left = await t.docker.listContainers({ all: true, filters: { label: [`berth.test-run=${t.labels['berth.test-run']}`] } });
    expect(left).toEqual([]);
  });
});
