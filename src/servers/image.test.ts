import { describe, expect, it } from 'vitest';
import { catalogChoices, parseRequestedImage, resolveImage } from './image.js';

const config = {
  spawner: {
    image: 'default/image:1',
    images: { lab: { image: 'lab/image:2', description: '', groups: [] }, r: { image: 'r/image:3', description: '', groups: [] } },
  },
  users: { pinned: { image: 'r' } },
} as unknown as Parameters<typeof resolveImage>[0];
const user = (name: string, adminImage: string | null = null, userImage: string | null = null) => ({ name, adminImage, userImage });

describe('resolveImage', () => {
  it('prefers the hub.yaml pin over the admin choice and the user pick', () => {
    expect(resolveImage(config, user('pinned', 'lab', 'lab'), 'lab')).toEqual({ label: 'r', image: 'r/image:3', source: 'file' });
  });

  it("prefers the admin's choice over the user's pick", () => {
    expect(resolveImage(config, user('alice', 'r', 'lab'), 'lab')).toEqual({ label: 'r', image: 'r/image:3', source: 'admin' });
  });

  it("uses the requested label, then the user's stored pick, then spawner.image", () => {
    expect(resolveImage(config, user('alice', null, 'r'), 'lab')).toMatchObject({ label: 'lab', source: 'user' });
    expect(resolveImage(config, user('alice', null, 'r'))).toMatchObject({ label: 'r', source: 'user' });
    expect(resolveImage(config, user('alice'))).toEqual({ label: null, image: 'default/image:1', source: 'default' });
  });

  it('ignores stored labels that have left the catalog instead of starting them', () => {
    expect(resolveImage(config, user('alice', 'gone', 'gone-too'))).toMatchObject({ label: null, source: 'default' });
  });

  it('ignores names inherited from Object.prototype as labels', () => {
    expect(resolveImage(config, user('alice', 'constructor', 'toString'), '__proto__')).toEqual({ label: null, image: 'default/image:1', source: 'default' });
  });

  it('labels spawner.image with the catalog entry that has the same image, as the API shows it', () => {
    const withDefault = { ...config, spawner: { ...config.spawner, image: 'r/image:3' } };
    expect(resolveImage(withDefault, user('alice'))).toEqual({ label: 'r', image: 'r/image:3', source: 'default' });
  });
});

describe('parseRequestedImage', () => {
  it('accepts a catalog label and no request at all', () => {
    expect(parseRequestedImage(config, { image: 'lab' })).toBe('lab');
    expect(parseRequestedImage(config, {})).toBeUndefined();
  });

  it.each([['raw image name', 'lab/image:2'], ['default image', 'default/image:1'], ['unknown label', 'nope'], ['prototype key', 'constructor'], ['non-string', 42]])(
    'refuses a %s with 400 naming the labels',
    (_what, image) => {
      expect(() => parseRequestedImage(config, { image })).toThrow(expect.objectContaining({ status: 400, message: expect.stringContaining('"lab", "r"') }));
    },
  );
});

describe('catalog entries limited to groups', () => {
  const gpuConfig = {
    spawner: {
      image: 'gpu/image:1',
      images: {
        lab: { image: 'lab/image:2', description: 'Lab', groups: [] },
        gpu: { image: 'gpu/image:1', description: 'One GPU', groups: ['gpu-users', 'staff'], mem_limit: 2 ** 30, gpus: 1 },
      },
    },
    users: { pinned: { image: 'gpu' } },
  } as unknown as Parameters<typeof resolveImage>[0];

  it('refuses a pick outside the user\'s groups with 403 naming the entry and its groups', () => {
    expect(() => parseRequestedImage(gpuConfig, { image: 'gpu' }, ['students'])).toThrow(expect.objectContaining({
      status: 403, message: expect.stringMatching(/"gpu" \(spawner\.images\.gpu\) is only for members of the groups gpu-users, staff/),
    }));
    expect(parseRequestedImage(gpuConfig, { image: 'gpu' }, ['staff'])).toBe('gpu');
  });

  it('lists only the entries the user may pick, with their resources', () => {
    expect(catalogChoices(gpuConfig, [], null).map((c) => c.label)).toEqual(['lab']);
    expect(catalogChoices(gpuConfig, ['gpu-users'], 'gpu')).toEqual([
      { label: 'lab', description: 'Lab', image: 'lab/image:2', resources: { memLimit: null, cpuLimit: null, gpus: null }, selected: false },
      { label: 'gpu', description: 'One GPU', image: 'gpu/image:1', resources: { memLimit: 2 ** 30, cpuLimit: null, gpus: 1 }, selected: true },
    ]);
  });

  it('ignores a stored pick the user\'s groups no longer allow, and labels the default image only with an entry they may pick', () => {
    expect(resolveImage(gpuConfig, user('alice', null, 'gpu'), undefined, ['students'])).toEqual({ label: null, image: 'gpu/image:1', source: 'default' });
    expect(resolveImage(gpuConfig, user('alice', null, 'gpu'), undefined, ['staff'])).toMatchObject({ label: 'gpu', source: 'user' });
  });

  it('lets a hub.yaml pin or an admin\'s choice give an entry whatever the groups', () => {
    expect(resolveImage(gpuConfig, user('pinned'), undefined, [])).toMatchObject({ label: 'gpu', source: 'file' });
    expect(resolveImage(gpuConfig, user('alice', 'gpu'), undefined, [])).toMatchObject({ label: 'gpu', source: 'admin' });
  });
});
