import { describe, expect, it } from 'vitest';
import { nodesToPull, placementFor, type NodeImage } from './image-plan.js';

const node = (name: string, state: NodeImage['state'], reason?: string): NodeImage => ({ nodeId: `id-${name}`, name, state, reason });

describe('which nodes pull an image, per pull_policy', () => {
  const checked = [node('manager', 'present'), node('worker1', 'lacking'), node('worker2', 'unknown')];

  it('pulls on every node with always, on the nodes without it with ifnotpresent, and nowhere with never', () => {
    expect(nodesToPull('always', checked).map((n) => n.name)).toEqual(['manager', 'worker1', 'worker2']);
    expect(nodesToPull('ifnotpresent', checked).map((n) => n.name)).toEqual(['worker1', 'worker2']);
    expect(nodesToPull('never', checked)).toEqual([]);
  });
});

describe('where a server of an image may start', () => {
  it('keeps it off nodes that lack the image or are still pulling it', () => {
    const placement = placementFor('lab:1', [node('manager', 'present'), node('worker1', 'lacking'), node('worker2', 'pulling'), node('worker3', 'unknown')]);
    expect(placement).toEqual({ kind: 'place', constraints: ['node.id!=id-worker1', 'node.id!=id-worker2'] });
  });

  it('waits while a node is being checked, or while no node has it but one is pulling it', () => {
    expect(placementFor('lab:1', [node('manager', 'present'), node('worker1', 'checking')])).toEqual({ kind: 'wait' });
    expect(placementFor('lab:1', [node('manager', 'lacking'), node('worker1', 'pulling')])).toEqual({ kind: 'wait' });
  });

  it('refuses at once when no node has it, naming each node and why', () => {
    const placement = placementFor('lab:1', [node('manager', 'lacking', 'pull failed: no route'), node('worker1', 'lacking')]);
    expect(placement.kind).toBe('refuse');
    expect(placement.kind === 'refuse' && placement.message).toMatch(/^Image lab:1 is on no node of the swarm \(lacking on manager \(pull failed: no route\), worker1\): load it/);
  });

  it('places anywhere when the image was never checked (a catalog the hub has not distributed)', () => {
    expect(placementFor('lab:1', undefined)).toEqual({ kind: 'place', constraints: [] });
  });
});
