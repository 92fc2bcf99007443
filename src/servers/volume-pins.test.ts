import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type OpenedDb } from '../db/open.js';
import { createVolumePins } from './volume-pins.js';

let dir: string;
let opened: OpenedDb;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-volume-pins-'));
  opened = openDatabase(dir);
});

afterEach(() => {
  opened.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('swarm volume pins', () => {
  it('remembers the node a volume was first made on, across a reopened database, and never moves it', () => {
    createVolumePins(opened.db).record('berth-alice', { nodeId: 'n1', nodeName: 'worker1' });
    createVolumePins(opened.db).record('berth-alice', { nodeId: 'n2', nodeName: 'worker2' });
    opened.close();
    opened = openDatabase(dir);
    const pins = createVolumePins(opened.db);
    expect(pins.get('berth-alice')).toEqual({ nodeId: 'n1', nodeName: 'worker1' });
    expect(pins.get('berth-bob')).toBeNull();
  });
});
