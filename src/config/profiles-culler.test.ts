// hub.yaml's profile keys (spawner.images.<label> resources and groups) and the culler section: units, defaults,
// and the errors a wrong value gets, with its line and key.
import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.js';
import { ADMIN, problems } from '../../test/helpers/config-problems.js';


describe('profile keys', () => {
  it('reads limits, GPUs, environment, volumes and groups, with defaults for what is left out', () => {
    const config = parseConfig(`${ADMIN}spawner:
  images:
    gpu: { image: "x/gpu:1", mem_limit: 16G, cpu_limit: 4, gpus: all, environment: { A: 1 }, volumes: { "d-{username}": /data }, groups: [gpu-users] }
    two: { image: "x/gpu:1", gpus: 2 }
    ids: { image: "x/gpu:1", gpus: ["0", "GPU-3a23c669"] }
    plain: { image: "x/base:1" }
`, '/srv/berth/hub.yaml', {});
    expect(config.spawner.images.gpu).toEqual({
      image: 'x/gpu:1', description: '', mem_limit: 16 * 2 ** 30, cpu_limit: 4, gpus: 'all', environment: { A: '1' }, volumes: { 'd-{username}': '/data' }, groups: ['gpu-users'],
    });
    expect(config.spawner.images.two.gpus).toBe(2);
    expect(config.spawner.images.ids.gpus).toEqual(['0', 'GPU-3a23c669']);
    expect(config.spawner.images.plain).toEqual({ image: 'x/base:1', description: '', environment: {}, volumes: {}, groups: [] });
  });

  it('refuses a gpus value Docker could not take, and a relative mount point, naming the key and line', () => {
    const found = problems(`${ADMIN}spawner:
  images:
    a: { image: x, gpus: some }
    b: { image: x, gpus: 0 }
    c: { image: x, volumes: { v: data } }
`);
    expect(found).toEqual(expect.arrayContaining([
      expect.stringMatching(/hub\.yaml:5:\d+ spawner\.images\.a\.gpus: must be "all", a number of GPUs/),
      expect.stringMatching(/hub\.yaml:6:\d+ spawner\.images\.b\.gpus: must be "all", a number of GPUs/),
      expect.stringMatching(/hub\.yaml:7:\d+ spawner\.images\.c\.volumes\.v: mount point must be an absolute path/),
    ]));
  });
});

describe('culler keys', () => {
  it('is off by default and reads durations as the rest of hub.yaml does', () => {
    expect(parseConfig(ADMIN, '/srv/berth/hub.yaml', {}).culler).toEqual({
      cull_users: false, remove_named_servers: false, busy_kernels_count_as_activity: true,
    });
    const on = parseConfig(`${ADMIN}culler: { timeout: 1h, cull_every: 30s, max_age: 2d }\n`, '/srv/berth/hub.yaml', {});
    expect(on.culler).toMatchObject({ timeout: 3600, cull_every: 30, max_age: 172800 });
  });

  it('refuses culler settings without culler.timeout, saying the culler needs it', () => {
    expect(problems(`${ADMIN}culler: { max_age: 8h, cull_users: true }\n`)).toEqual(expect.arrayContaining([
      expect.stringMatching(/culler\.max_age: needs culler\.timeout/),
      expect.stringMatching(/culler\.cull_users: needs culler\.timeout/),
    ]));
    expect(problems(`${ADMIN}culler: { timeout: soon }\n`)).toEqual([expect.stringMatching(/hub\.yaml:3:\d+ culler\.timeout: "soon" is not a duration/)]);
  });
});
