import { describe, expect, it } from 'vitest';
import { createPullProgress } from './pull-progress.js';

describe('pull progress', () => {
  it('says only the image before the engine names any layer', () => {
    const p = createPullProgress('lab/image:5');
    p.add({ id: '5', status: 'Pulling from lab/image' });
    expect(p.current()).toEqual({ progress: 10, message: 'Pulling lab/image:5' });
  });

  it('counts a layer as done once it is in place, not when its download completes, and weighs extraction like download', () => {
    const p = createPullProgress('lab/image:5');
    p.add({ id: 'aaa', status: 'Pulling fs layer' });
    p.add({ id: 'aaa', status: 'Downloading', progressDetail: { current: 2_000_000, total: 4_000_000 } });
    expect(p.current()).toEqual({ progress: 18, message: 'Pulling lab/image:5: 0/1 layers, 2.0 of 4.0 MB' });
    p.add({ id: 'aaa', status: 'Verifying Checksum' });
    p.add({ id: 'aaa', status: 'Download complete' });
    expect(p.current()).toEqual({ progress: 25, message: 'Pulling lab/image:5: 0/1 layers, 4.0 of 4.0 MB' });
    p.add({ id: 'aaa', status: 'Extracting', progressDetail: { current: 2_000_000, total: 4_000_000 } });
    expect(p.current()).toEqual({ progress: 33, message: 'Pulling lab/image:5: 0/1 layers, 4.0 of 4.0 MB, extracting' });
    p.add({ id: 'aaa', status: 'Pull complete' });
    expect(p.current()).toEqual({ progress: 40, message: 'Pulling lab/image:5: 1/1 layers, 4.0 of 4.0 MB' });
  });

  it('counts layers done and bytes downloaded, ignoring the tag line', () => {
    const p = createPullProgress('lab/image:5');
    p.add({ id: '5', status: 'Pulling from lab/image' });
    p.add({ id: 'aaa', status: 'Pulling fs layer' });
    p.add({ id: 'bbb', status: 'Pulling fs layer' });
    p.add({ id: 'ccc', status: 'Already exists' });
    expect(p.current()).toEqual({ progress: 20, message: 'Pulling lab/image:5: 1/3 layers' });
    p.add({ id: 'aaa', status: 'Downloading', progressDetail: { current: 1_000_000, total: 4_000_000 } });
    p.add({ id: 'bbb', status: 'Downloading', progressDetail: { current: 0, total: 4_000_000 } });
    expect(p.current()).toEqual({ progress: 12, message: 'Pulling lab/image:5: 1/3 layers, 1.0 of 8.0 MB' });
    p.add({ id: 'aaa', status: 'Download complete' });
    p.add({ id: 'bbb', status: 'Pull complete' });
    expect(p.current()).toEqual({ progress: 33, message: 'Pulling lab/image:5: 2/3 layers, 8.0 of 8.0 MB' });
    p.add({ id: 'aaa', status: 'Extracting', progressDetail: { current: 1_000_000, total: 4_000_000 } });
    expect(p.current()).toEqual({ progress: 34, message: 'Pulling lab/image:5: 2/3 layers, 8.0 of 8.0 MB, extracting' });
    p.add({ id: 'aaa', status: 'Pull complete' });
    expect(p.current()).toEqual({ progress: 40, message: 'Pulling lab/image:5: 3/3 layers, 8.0 of 8.0 MB' });
  });
});
