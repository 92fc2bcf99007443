import { describe, expect, it } from 'vitest';
import { isFinal, taskProgress } from './task-state.js';

describe('swarm task states', () => {
  it('reports the steps from scheduling to running in increasing progress', () => {
    const steps = ['pending', 'assigned', 'preparing', 'starting', 'running'].map((s) => taskProgress(s, 'worker-1'));
    const values = steps.map((s) => s!.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(values).size).toBe(values.length);
    expect(steps[1]!.message).toContain('worker-1');
    expect(steps[2]!.message).toMatch(/pulling/);
  });

  it('shows why a task waits', () => {
    expect(taskProgress('pending', '', 'no suitable node (scheduling constraints not satisfied on 1 node)')!.message)
      .toContain('no suitable node');
  });

  it('treats failed, rejected, shut down and orphaned tasks as final and nothing else', () => {
    for (const state of ['failed', 'rejected', 'shutdown', 'complete', 'orphaned', 'remove']) {
      expect(isFinal(state)).toBe(true);
      expect(taskProgress(state, 'n')).toBeNull();
    }
    for (const state of ['pending', 'assigned', 'preparing', 'starting', 'running']) expect(isFinal(state)).toBe(false);
  });
});
